// The load processes talk to the bench in lines on their stdout: calls `onLine` for each whole
// line, in order (a chunk may end mid-line; the rest waits for the next chunk).
export function onLines(stream, onLine) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (s) => {
    buf += s;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  });
}
