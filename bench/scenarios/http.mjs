export async function httpScenario() { return { name: 'http', title: 'http', rows: {}, errors: [] }; }
