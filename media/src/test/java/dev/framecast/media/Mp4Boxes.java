package dev.framecast.media;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Just enough ISO BMFF (MP4) parsing for the tests to check an encoder's output by themselves,
 * without trusting the library that wrote it: the box tree and the fields of the boxes the tests
 * read.
 */
final class Mp4Boxes {
  private static final Set<String> CONTAINERS =
      Set.of("moov", "trak", "mdia", "minf", "stbl", "edts", "dinf", "udta");

  /** One box; {@code body} is the offset of its content after the size and type. */
  record Box(String type, int start, int size, int body, List<Box> children) {
    int end() {
      return start + size;
    }
  }

  private final byte[] data;
  private final List<Box> top;

  Mp4Boxes(byte[] data) {
    this.data = data;
    this.top = parse(0, data.length);
  }

  /** The top-level boxes in file order. */
  List<Box> top() {
    return top;
  }

  /** The box at a slash-separated path such as {@code moov/trak/mdia/mdhd}, first match. */
  Box find(String path) {
    List<Box> level = top;
    Box found = null;
    for (String type : path.split("/")) {
      found = level.stream().filter(b -> b.type().equals(type)).findFirst().orElse(null);
      if (found == null) {
        throw new AssertionError("no box " + type + " in " + path);
      }
      level = found.children();
    }
    return found;
  }

  Optional<Box> findOptional(String path) {
    try {
      return Optional.of(find(path));
    } catch (AssertionError e) {
      return Optional.empty();
    }
  }

  /** Timescale of an mvhd or mdhd box. */
  long timescale(Box header) {
    return version(header) == 1 ? u32(header.body() + 20) : u32(header.body() + 12);
  }

  /** Duration of an mvhd or mdhd box, in its timescale. */
  long duration(Box header) {
    return version(header) == 1 ? buffer().getLong(header.body() + 24) : u32(header.body() + 16);
  }

  /** Width and height (16.16 fixed point, integer part) of a tkhd box. */
  int[] trackSize(Box tkhd) {
    int at = tkhd.body() + (version(tkhd) == 1 ? 88 : 76);
    return new int[] {(int) (u32(at) >>> 16), (int) (u32(at + 4) >>> 16)};
  }

  /** Sample count of an stsz box. */
  long sampleCount(Box stsz) {
    return u32(stsz.body() + 8);
  }

  /** stts entries as (count, delta) pairs. */
  List<long[]> timeToSample(Box stts) {
    List<long[]> entries = new ArrayList<>();
    long n = u32(stts.body() + 4);
    for (int i = 0; i < n; i++) {
      entries.add(new long[] {u32(stts.body() + 8 + 8 * i), u32(stts.body() + 12 + 8 * i)});
    }
    return entries;
  }

  /** Sample numbers (1-based) listed by an stss box. */
  List<Long> syncSamples(Box stss) {
    List<Long> samples = new ArrayList<>();
    long n = u32(stss.body() + 4);
    for (int i = 0; i < n; i++) {
      samples.add(u32(stss.body() + 8 + 4 * i));
    }
    return samples;
  }

  /** Width and height stored in a visual sample entry such as avc1. */
  int[] sampleEntrySize(Box entry) {
    return new int[] {u16(entry.body() + 24), u16(entry.body() + 26)};
  }

  /**
   * avcC: configurationVersion, AVCProfileIndication, profile_compatibility, AVCLevelIndication.
   */
  int[] avcConfiguration(Box avcC) {
    return new int[] {
      u8(avcC.body()), u8(avcC.body() + 1), u8(avcC.body() + 2), u8(avcC.body() + 3)
    };
  }

  /** colr nclx: primaries, transfer, matrix, full range (0 or 1); empty for other colour types. */
  Optional<int[]> colourNclx(Box colr) {
    String kind = new String(data, colr.body(), 4, StandardCharsets.ISO_8859_1);
    if (!kind.equals("nclx")) {
      return Optional.empty();
    }
    int at = colr.body() + 4;
    return Optional.of(new int[] {u16(at), u16(at + 2), u16(at + 4), (u8(at + 6) >>> 7) & 1});
  }

  private List<Box> parse(int from, int to) {
    List<Box> boxes = new ArrayList<>();
    int at = from;
    while (at + 8 <= to) {
      long size = u32(at);
      String type = new String(data, at + 4, 4, StandardCharsets.ISO_8859_1);
      int header = 8;
      if (size == 1) {
        size = buffer().getLong(at + 8);
        header = 16;
      } else if (size == 0) {
        size = to - at;
      }
      if (size < header || at + size > to) {
        throw new AssertionError("box " + type + " at " + at + " has bad size " + size);
      }
      int body = at + header;
      int end = (int) (at + size);
      List<Box> children = List.of();
      if (CONTAINERS.contains(type)) {
        children = parse(body, end);
      } else if (type.equals("stsd")) {
        children = parse(body + 8, end); // version, flags, entry count
      } else if (type.equals("avc1")) {
        children = parse(body + 78, end); // the fixed fields of a visual sample entry
      }
      boxes.add(new Box(type, at, (int) size, body, children));
      at = end;
    }
    if (at != to) {
      throw new AssertionError("trailing bytes at " + at + " before " + to);
    }
    return boxes;
  }

  private int version(Box box) {
    return u8(box.body());
  }

  private ByteBuffer buffer() {
    return ByteBuffer.wrap(data);
  }

  private int u8(int at) {
    return data[at] & 0xff;
  }

  private int u16(int at) {
    return buffer().getShort(at) & 0xffff;
  }

  private long u32(int at) {
    return buffer().getInt(at) & 0xffffffffL;
  }
}
