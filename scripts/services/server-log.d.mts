export function openServerLog(target: string): { name: string; toTerminal: boolean; write(line: string): void; close(): void };
export function terminalLine(line: string): { text: string; toStderr: boolean } | null;
