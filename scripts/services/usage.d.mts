export function wantsHelp(argv?: readonly string[]): boolean;
export function answerHelp(usage: string, argv?: readonly string[]): void;
