export async function drainScenario() { return { name: 'drain', title: 'drain', rows: {}, errors: [] }; }
