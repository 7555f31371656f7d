export async function fanoutScenario() { return { name: 'fanout', title: 'fanout', rows: {}, errors: [] }; }
