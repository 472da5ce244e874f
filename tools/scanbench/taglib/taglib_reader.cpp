// taglib_reader reads the tags of every audio file under a folder (the
// extensions trackfeed scans: .mp3, .flac, .ogg, .oga, .opus, .m4a, .m4b,
// .wav, .aif, .aiff, .dsf) with
// TagLib, on a given number of threads, and prints what it read and what
// that cost: "files tagged seconds cpu-seconds checksum".
//
// Threads take the library's top-level folders (artists) from a shared
// counter; each walks its folder and reads every audio file in it with
// TagLib::FileRef, audio properties off, taking artist, album, title,
// track, year and genre as UTF-8. The time covers the walk and the reads.
//
// scanbench compiles it with c++ -O2 and pkg-config's flags for taglib.
#include <sys/resource.h>
#include <taglib/fileref.h>
#include <taglib/tag.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

bool isAudio(const fs::path& p) {
  static const char* exts[] = {".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".m4b", ".wav", ".aif", ".aiff", ".dsf"};
  std::string e = p.extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* x : exts) {
    if (e == x) return true;
  }
  return false;
}

struct Counts {
  unsigned long files = 0, tagged = 0, checksum = 0;
};

void readOne(const fs::path& p, Counts& c) {
  c.files++;
  TagLib::FileRef f(p.c_str(), false);
  if (f.isNull() || f.tag() == nullptr) {
    return;
  }
  TagLib::Tag* t = f.tag();
  std::string artist = t->artist().to8Bit(true);
  std::string album = t->album().to8Bit(true);
  std::string title = t->title().to8Bit(true);
  std::string genre = t->genre().to8Bit(true);
  c.tagged++;
  c.checksum += artist.size() + album.size() + title.size() + genre.size() + t->track() + t->year();
}

void readTree(const fs::path& dir, Counts& c) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (isAudio(it->path()) && it->is_regular_file(ec)) {
      readOne(it->path(), c);
    }
  }
}

// cpuSeconds returns the user and system time the process has used.
double cpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: taglib_reader DIR THREADS\n");
    return 2;
  }
  const fs::path root = argv[1];
  const int threads = std::atoi(argv[2]);
  if (threads < 1) {
    std::fprintf(stderr, "taglib_reader: THREADS must be at least 1\n");
    return 2;
  }

  const double cpuStart = cpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  std::vector<fs::path> tops;
  Counts rootFiles;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) {
      tops.push_back(e.path());
    } else if (isAudio(e.path()) && e.is_regular_file()) {
      readOne(e.path(), rootFiles);
    }
  }
  std::atomic<size_t> next{0};
  std::vector<Counts> counts(threads);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; i++) {
    pool.emplace_back([&, i] {
      for (size_t j; (j = next.fetch_add(1)) < tops.size();) {
        readTree(tops[j], counts[i]);
      }
    });
  }
  for (auto& t : pool) {
    t.join();
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double cpu = cpuSeconds() - cpuStart;

  Counts total = rootFiles;
  for (const auto& c : counts) {
    total.files += c.files;
    total.tagged += c.tagged;
    total.checksum += c.checksum;
  }
  std::printf("%lu %lu %.6f %.6f %lu\n", total.files, total.tagged, elapsed.count(), cpu, total.checksum);
  return 0;
}
