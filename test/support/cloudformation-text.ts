/**
 * A CloudFormation value as text, for assertions on synthesised templates: `Fn::Join` flattened,
 * references as `<<Ref>>` / `<<Id.Attr>>`. Any other intrinsic is unexpected and fails the test.
 */
export function cloudFormationText(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(cloudFormationText).join(separator);
  }
  if ('Ref' in object) return `<<${String(object.Ref)}>>`;
  if ('Fn::GetAtt' in object) return `<<${(object['Fn::GetAtt'] as string[]).join('.')}>>`;
  throw new Error(`unexpected CloudFormation value ${JSON.stringify(value)}`);
}
