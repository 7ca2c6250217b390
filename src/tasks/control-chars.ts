/**
 * Control characters in user text: NULs, terminal escape codes and the like carry no meaning for
 * a specialist and can rewrite the operator's terminal when printed. No imports: the workflow
 * sandbox loads this through the task schema.
 */

// CSI sequences (ESC [ params final), then other two-byte escapes (ESC followed by one byte).
const ESCAPE_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[@-_]?/g;
// C0 controls except tab and newline, DEL, and C1 controls.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * The text without escape sequences and control characters; tabs and newlines stay.
 *
 * @example stripControl('\u001b[31mfix the build\u001b[0m\u0000') // 'fix the build'
 */
export function stripControl(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}
