// iostreams: cout/cerr (deterministic stderr), manipulators, stringstream parsing, fstream on a
// temporary file, locale-independent formatting.
// STDERR: compare
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <cstdio>
#include <unistd.h>

int main() {
    std::cout << "int " << 42 << " hex " << std::hex << 255 << std::dec << " oct " << std::oct << 8
              << std::dec << '\n';
    std::cout << std::fixed << std::setprecision(3) << 3.14159265 << ' ' << std::scientific
              << 12345.678 << std::defaultfloat << ' ' << 0.1 << '\n';
    std::cout << std::setw(8) << std::setfill('*') << 77 << '|' << std::left << std::setw(6) << "ab"
              << '|' << std::endl;
    std::cout << std::boolalpha << true << ' ' << false << std::noboolalpha << '\n';
    std::istringstream in("10 20 30 forty 50");
    int v, sum = 0;
    while (in >> v) sum += v;
    std::cout << "sum before failure " << sum << " fail=" << in.fail() << '\n';
    std::ostringstream os;
    os << "built " << 1 << '+' << 2.5 << '=' << (1 + 2.5);
    std::cout << os.str() << " (" << os.str().size() << " chars)\n";
    std::cerr << "this goes to stderr " << 123 << std::endl;
    char path[] = "/tmp/weld-e2e-iostreams-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 1;
    close(fd);
    {
        std::ofstream out(path);
        for (int i = 0; i < 5; i++) out << "line " << i * i << '\n';
    }
    std::ifstream back(path);
    std::string line;
    int lines = 0;
    while (std::getline(back, line)) { lines++; std::cout << "read: " << line << '\n'; }
    std::remove(path);
    std::cout << "lines " << lines << std::endl;
    return 0;
}
