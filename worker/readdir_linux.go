package worker

import (
	"encoding/binary"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
)

// readDir reads the entries of the open folder f with getdents64, whose
// records carry each entry's type; an entry of unknown type is lstat'ed.
func readDir(f *os.File, lstat func(string) (fs.FileInfo, error)) ([]fs.DirEntry, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var (
		entries []fs.DirEntry
		buf     = make([]byte, 16<<10)
		rerr    error
	)
	for {
		var n int
		err := sc.Read(func(fd uintptr) bool {
			n, rerr = syscall.ReadDirent(int(fd), buf)
			return rerr != syscall.EAGAIN
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			return entries, err
		}
		if n <= 0 {
			break
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				return entries, syscall.EINVAL
			}
			name := string(b[19:reclen])
			if i := strings.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			typ := b[18]
			b = b[reclen:]
			if name == "." || name == ".." {
				continue
			}
			d := dirEntry{name: name, lstat: lstat}
			switch typ {
			case syscall.DT_DIR:
				d.typ = fs.ModeDir
			case syscall.DT_REG:
			case syscall.DT_LNK:
				d.typ = fs.ModeSymlink
			case syscall.DT_FIFO:
				d.typ = fs.ModeNamedPipe
			case syscall.DT_SOCK:
				d.typ = fs.ModeSocket
			case syscall.DT_CHR:
				d.typ = fs.ModeDevice | fs.ModeCharDevice
			case syscall.DT_BLK:
				d.typ = fs.ModeDevice
			default: // DT_UNKNOWN: the file system does not say
				fi, err := lstat(name)
				if err != nil {
					continue // gone since
				}
				d.typ = fi.Mode().Type()
			}
			entries = append(entries, d)
		}
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}
