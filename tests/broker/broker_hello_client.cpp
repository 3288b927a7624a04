// Connects to a broker socket and says hello, as whatever user runs it. Exit 0 and "hello ok"
// when the broker answered; 1 with the reason otherwise. Used to test who may connect.
#include <iostream>

#include "daemons/broker/client/broker_client.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: broker_hello_client SOCKET\n";
        return 2;
    }
    auto c = closedpaw::broker::BrokerClient::connect(argv[1]);
    if (!c) {
        std::cout << "connect failed: " << c.error().message << "\n";
        return 1;
    }
    c->set_reply_timeout(std::chrono::milliseconds(5000));
    auto h = c->hello();
    if (!h) {
        std::cout << "hello failed: " << h.error().message << "\n";
        return 1;
    }
    std::cout << "hello ok\n";
    return 0;
}
