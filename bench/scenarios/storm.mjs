export async function stormScenario() { return { name: 'storm', title: 'storm', rows: {}, errors: [] }; }
