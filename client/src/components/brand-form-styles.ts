import { css } from 'lit';

/** The brand console's forms (a deal, its waiting room): fields in a grid, errors under them. */
export const brandFormStyles = css`
    :host { display: block; background: #fff; border-radius: 10px; padding: 1rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); }
    form { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 0.75rem 1rem; }
    label { display: flex; flex-direction: column; gap: 0.2rem; font-size: 0.8125rem; font-weight: 600; color: #33333d; }
    .wide { grid-column: 1 / -1; }
    input, select, textarea { font: inherit; font-weight: 400; padding: 0.4rem 0.5rem; border: 1px solid #c4c4cc; border-radius: 6px; }
    [aria-invalid='true'] { border-color: #b00020; background: #fff5f6; }
    .err { color: #b00020; font-weight: 400; font-size: 0.8125rem; }
    .hint { color: #6b6b76; font-weight: 400; font-size: 0.75rem; }
    .actions { grid-column: 1 / -1; display: flex; gap: 0.5rem; align-items: center; }
    button { font: inherit; padding: 0.45rem 1rem; border-radius: 6px; border: 1px solid #c4c4cc; background: #fff; cursor: pointer; }
    button.primary { background: #e0301e; border-color: #e0301e; color: #fff; font-weight: 600; }
    .summary { color: #b00020; }
    h2 { margin: 0 0 0.75rem; font-size: 1.05rem; }
`;
