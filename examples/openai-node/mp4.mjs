// The video track of an MP4 (ISO BMFF), read from its boxes: the sample entry's codec (avc1 for
// H.264), the frame size, and how many samples (frames) the track holds. Enough to check a clip
// without ffprobe.
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

function* boxes(buffer, start, end) {
  let offset = start;
  while (offset + 8 <= end) {
    let size = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    let header = 8;
    if (size === 1) {
      size = Number(buffer.readBigUInt64BE(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < header || offset + size > end) throw new Error(`box ${type} at ${offset} is cut short`);
    yield { type, start: offset + header, end: offset + size };
    offset += size;
  }
}

export function mp4VideoTrack(buffer) {
  const first = boxes(buffer, 0, buffer.length).next().value;
  if (!first || first.type !== 'ftyp') throw new Error('not an MP4: no ftyp box first');
  const tracks = [];
  const walk = (start, end, track) => {
    for (const box of boxes(buffer, start, end)) {
      if (box.type === 'trak') {
        const t = {};
        tracks.push(t);
        walk(box.start, box.end, t);
      } else if (CONTAINERS.has(box.type)) {
        walk(box.start, box.end, track);
      } else if (track && box.type === 'hdlr') {
        track.handler = buffer.toString('latin1', box.start + 8, box.start + 12);
      } else if (track && box.type === 'stsd') {
        // version+flags, entry_count, then the first sample entry box.
        const entry = boxes(buffer, box.start + 8, box.end).next().value;
        track.codec = entry.type;
        // A visual sample entry: 6 reserved + 2 data ref index + 16 predefined/reserved, then width, height.
        track.width = buffer.readUInt16BE(entry.start + 24);
        track.height = buffer.readUInt16BE(entry.start + 26);
      } else if (track && box.type === 'stsz') {
        // version+flags, sample_size, sample_count.
        track.samples = buffer.readUInt32BE(box.start + 8);
      }
    }
  };
  walk(0, buffer.length, null);
  const video = tracks.find((t) => t.handler === 'vide');
  if (!video) throw new Error('the MP4 has no video track');
  return video;
}
