/** A JSON Schema object, as a client sent it. */
export type JsonSchema = Record<string, unknown>;

/** A function the model may call. */
export interface ToolSpec {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: JsonSchema;
}

/**
 * `none`: answer in text; `auto`: the model chooses; `required`: it must call one of the tools;
 * `{name}`: it must call that one. Under `required` and `{name}` the arguments must validate.
 */
export type ToolChoice = 'none' | 'auto' | 'required' | { name: string };

/** The shape a text answer must take: JSON of any object, or JSON that validates against a schema. */
export type ResponseFormatSpec = { type: 'json_object' } | { type: 'json_schema'; name: string; schema: JsonSchema };
