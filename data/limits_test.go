package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHugeImageRefusedFromHeader is finding 3: a small PNG declaring 20000×20000 decoded to gigabytes.
// Its header is now read first; 20000·20000 = 4·10^8 pixels > 2^24 is refused without decoding.
func TestHugeImageRefusedFromHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	// IHDR's width and height are the 4-byte fields at offsets 16 and 20; its CRC (offset 29) covers
	// the chunk type and data, bytes 12..28.
	binary.BigEndian.PutUint32(raw[16:], 20000)
	binary.BigEndian.PutUint32(raw[20:], 20000)
	binary.BigEndian.PutUint32(raw[29:], crc32.ChecksumIEEE(raw[12:29]))
	path := filepath.Join(t.TempDir(), "huge.png")
	os.WriteFile(path, raw, 0o644)
	err := decodeInto(path, 32, make([]uint8, 32*32*3))
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "20000x20000 image: more than the 16777216 pixels supported") {
		t.Errorf("err = %v", err)
	}
}

// TestIDXHeaderAgainstFileSize is finding 3: a small gzipped IDX declaring 10^6×32×32 bytes grew to
// gigabytes before failing. Its gzip trailer says how much it holds, so the header is refused first.
func TestIDXHeaderAgainstFileSize(t *testing.T) {
	var raw bytes.Buffer
	raw.Write([]byte{0, 0, 8, 3})
	for _, d := range []uint32{1000000, 32, 32} {
		binary.Write(&raw, binary.BigEndian, d)
	}
	raw.Write(make([]byte, 1<<16))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	dir := t.TempDir()
	for name, content := range map[string][]byte{"x-idx3-ubyte.gz": gz.Bytes(), "x-idx3-ubyte": raw.Bytes()} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, content, 0o644)
		_, err := ReadIDXFile(path)
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "declare 1024000000 data bytes, the file holds 65536") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
