import { describe, expect, it } from 'vitest';
import { chooseFormat, detectFormat, guessDelimiter } from '../../functions/core/detect.js';
import { EmptyInputError, UnknownFormatError } from '../../functions/core/errors.js';

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  yield* parts;
}

function split(text: string, size = 7): AsyncGenerator<string> {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return chunks(...parts);
}

function detect(text: string) {
  return detectFormat(split(text), 'input.csv');
}

describe('detectFormat', () => {
  it('reads the #Fields directive of a raw tracking log after its preamble', async () => {
    const input = split(
      '#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-Type: Message Tracking Log\r\n' +
        '#Fields: date-time,event-id,message-id,recipient-address,recipient-status,sender-address,return-path\r\nrow1\r\n',
    );
    const detection = await detectFormat(input, 'input.csv');
    let rest = detection.rest;
    for await (const chunk of input) rest += chunk;
    expect(detection.format.id).toBe('exchange-tracking-log');
    expect(detection.headerLine).toBe(4);
    expect(detection.preamble).toHaveLength(3);
    expect(rest).toBe('row1\r\n');
    expect(detection.restLine).toBe(5);
  });

  it('skips the #TYPE line of Windows PowerShell and finds a ;-delimited culture export', async () => {
    const detection = await detect(
      '#TYPE Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent\r\n' +
        '"Timestamp";"EventId";"Source";"MessageId";"Recipients";"RecipientStatus";"Sender";"ReturnPath"\r\n"x";"y"\r\n',
    );
    expect(detection.format.id).toBe('tracking-log-export');
    expect(detection.delimiter).toBe(';');
    expect(detection.headerLine).toBe(2);
  });

  it.each([
    [
      'Received,SenderAddress,RecipientAddress,Subject,Status,ToIP,FromIP,Size,MessageId,MessageTraceId',
      'message-trace',
    ],
    ['Date,MessageId,MessageTraceId,Event,Action,Detail,Data', 'message-trace-detail'],
    [
      'origin_timestamp_utc,sender_address,recipient_status,message_subject,total_bytes,message_id,network_message_id',
      'historical-search-summary',
    ],
    [
      'date_time_utc,client_ip,event_id,message_id,recipient_address,recipient_status,return_path,sender_address',
      'historical-search-extended',
    ],
    ['Timestamp\tEventId\tSource\tMessageId\tRecipients\tRecipientStatus\tSender', 'tracking-log-export'],
  ])('recognises %s', async (header, id) => {
    expect((await detect(`\r\n${header}\r\n`)).format.id).toBe(id);
  });

  it('names the headers it saw and the formats it knows', async () => {
    const error = await detect('"DisplayName","ItemCount","TotalItemSize"\r\n"a","1","2"\r\n').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnknownFormatError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /input\.csv: unknown format\. Line 1 has the headers: DisplayName, ItemCount, TotalItemSize/,
    );
    expect(message).toMatch(/Exchange Online message trace/);
    expect(message).toMatch(/needs/);
  });

  it('says an empty input is empty', async () => {
    await expect(detect('')).rejects.toBeInstanceOf(EmptyInputError);
    await expect(detect('\r\n\r\n')).rejects.toBeInstanceOf(EmptyInputError);
  });

  it('matches header names case-insensitively and never by position', () => {
    expect(
      chooseFormat(['MESSAGEID', 'x', 'Received', 'status', 'RecipientAddress', 'SenderAddress'], false)?.id,
    ).toBe('message-trace');
  });

  it('guesses the delimiter from the header', () => {
    expect(guessDelimiter('a,b,c')).toBe(',');
    expect(guessDelimiter('"a;1";"b";"c"')).toBe(';');
    expect(guessDelimiter('a\tb\tc,d')).toBe('\t');
  });
});
