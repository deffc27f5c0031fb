/**
 * Alerting: an SNS topic for operators (optionally with an e-mail subscription) and the alarms
 * that publish to it. Other parts of the stack add their own alarms through {@link Alerts}.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The period every alarm looks at: short enough to page quickly, long enough to aggregate. */
export const ALARM_PERIOD = Duration.minutes(5);
/** Throttling must last this many periods to alarm: a single burst is absorbed by the retries. */
export const THROTTLING_PERIODS = 2;
/** Share of a function's timeout its slowest invocation may take before the duration alarm fires. */
export const DURATION_ALARM_RATIO = 0.8;
/** The heartbeat alarm's period: hourly, so the deadline is checked to the hour. */
const HEARTBEAT_PERIOD = Duration.hours(1);
/** The longest range CloudWatch evaluates for periods of an hour or more. */
const MAX_ALARM_RANGE = Duration.days(7);

export interface AlertsProps {
  /** Subscribed to the topic when given (AWS sends a confirmation e-mail first). */
  readonly alertEmail?: string;
}

/** The alert topic and a small vocabulary of "anything above zero is worth a look" alarms. */
export class Alerts extends Construct {
  public readonly topic: Topic;
  /** Customer-managed key of the topic: CloudWatch cannot publish to a topic under `aws/sns`. */
  public readonly key: Key;
  private readonly action: SnsAction;

  public constructor(scope: Construct, id: string, props: AlertsProps = {}) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Encrypts the relay-audit alert topic',
      enableKeyRotation: true,
      // Encrypts notifications in flight only: nothing is lost by deleting it with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch alarms publish as the service itself, so the key policy must let it use the key.
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'Topic', {
      displayName: 'relay-audit alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.alertEmail !== undefined) this.topic.addSubscription(new EmailSubscription(props.alertEmail));
    this.action = new SnsAction(this.topic);
  }

  /**
   * Alarms when `metric` goes above `threshold` (default zero) in `periods` consecutive periods
   * (default one); missing data (no traffic) is fine.
   */
  public alarmAboveZero(
    id: string,
    metric: IMetric,
    description: string,
    options: { threshold?: number; periods?: number } = {},
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: options.threshold ?? 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: options.periods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(this.action);
    return alarm;
  }

  /** A dead-letter queue holding anything means an upload could not be analysed. */
  public alarmOnQueueNotEmpty(id: string, queue: IQueue, description: string): Alarm {
    return this.alarmAboveZero(
      id,
      queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }),
      description,
    );
  }

  /** Invocations that ended in an error (uncaught exception, timeout, out of memory). */
  public alarmOnErrors(id: string, fn: IFunction, description: string): Alarm {
    return this.alarmAboveZero(id, fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }), description);
  }

  /** Invocations Lambda refused for lack of concurrency. */
  public alarmOnThrottles(id: string, fn: IFunction, description: string): Alarm {
    return this.alarmAboveZero(
      id,
      fn.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
      description,
    );
  }

  /** The oldest message of `queue` waited longer than `maxAge`: work is stuck or overrun. */
  public alarmOnQueueAge(id: string, queue: IQueue, maxAge: Duration, description: string): Alarm {
    return this.alarmAboveZero(
      id,
      queue.metricApproximateAgeOfOldestMessage({ period: ALARM_PERIOD, statistic: 'Maximum' }),
      description,
      { threshold: maxAge.toSeconds() },
    );
  }

  /**
   * The slowest invocation of `fn` in a period took more than {@link DURATION_ALARM_RATIO} of its
   * own timeout: the next bigger input times out. Read from the function, so a changed timeout
   * moves the threshold with it.
   */
  public alarmOnDurationNearTimeout(
    id: string,
    fn: IFunction & { timeout?: Duration },
    description: string,
  ): Alarm {
    if (fn.timeout === undefined) throw new Error(`${fn.node.path} has no timeout to alarm against`);
    return this.alarmAboveZero(
      id,
      fn.metricDuration({ period: ALARM_PERIOD, statistic: 'Maximum' }),
      description,
      { threshold: fn.timeout.toMilliseconds() * DURATION_ALARM_RATIO },
    );
  }

  /**
   * A heartbeat `metric` (1 per completed run) was not seen for `window` (the schedule period plus
   * a margin, rounded up to whole hours): missing data is breaching, so a run that never started
   * alarms too.
   */
  public alarmOnMissingHeartbeat(id: string, metric: Metric, window: Duration, description: string): Alarm {
    const seconds = Math.min(window.toSeconds(), MAX_ALARM_RANGE.toSeconds());
    const periods = Math.ceil(seconds / HEARTBEAT_PERIOD.toSeconds());
    const alarm = new Alarm(this, id, {
      metric: metric.with({ period: HEARTBEAT_PERIOD, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      treatMissingData: TreatMissingData.BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(this.action);
    return alarm;
  }
}
