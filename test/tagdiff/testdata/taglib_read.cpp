// taglib_read prints, for each file named on the command line, one JSON
// object a line with the fields trackfeed compares, as TagLib reads them
// (its PropertyMap: every format's tags under the same names).
#include <taglib/fileref.h>
#include <taglib/tpropertymap.h>
#include <cstdio>
#include <string>

static std::string quote(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    default:
      if (c < 0x20) {
        char buf[8];
        snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  return out + "\"";
}

int main(int argc, char **argv) {
  const char *keys[] = {"ARTIST", "ALBUMARTIST", "ALBUM", "TITLE", "TRACKNUMBER", "DISCNUMBER", "DATE", "GENRE"};
  for (int i = 1; i < argc; i++) {
    TagLib::FileRef f(argv[i]);
    std::string line = "{\"path\":" + quote(argv[i]);
    if (f.isNull() || !f.file() || !f.file()->isValid()) {
      printf("%s,\"error\":\"not read\"}\n", line.c_str());
      continue;
    }
    TagLib::PropertyMap props = f.file()->properties();
    for (const char *k : keys) {
      line += std::string(",") + quote(k) + ":[";
      TagLib::StringList values = props[k];
      bool first = true;
      for (const auto &v : values) {
        if (!first) line += ",";
        line += quote(v.to8Bit(true));
        first = false;
      }
      line += "]";
    }
    printf("%s}\n", line.c_str());
  }
  return 0;
}
