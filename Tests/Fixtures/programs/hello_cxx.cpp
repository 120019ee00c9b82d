// Smallest C++ program: iostream static init, std::string, exit status.
// EXPECT-EXIT: 7
#include <iostream>
#include <string>

int main() {
    std::string who = "weld";
    std::cout << "hello from " << who << " (" << who.size() << " chars)" << std::endl;
    return 7;
}
