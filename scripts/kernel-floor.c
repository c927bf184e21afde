// The kernel's floor under a signaling relay on this machine: servers that do nothing but move fixed-size
// messages, in C on epoll, so that what they cost is the system calls and wake-ups any implementation needs
// (scripts/bench-kernel-floor.sh runs them). No WebSocket framing, no JSON: a lower bound, not a competitor.
//
//   kernel-floor relay PORT SIZE
//       one node, local mode: clients are paired in accept order (0-1, 2-3, ...); every byte read from one is
//       written to its partner.
//   kernel-floor node PORT REDIS_PORT SELF OTHER SIZE
//       one node of a two-node cluster, as a cross-node signal travels: a message read from client i is PUBLISHed
//       on channel n<OTHER> (its reply read and dropped); a message heard on n<SELF> goes to client i of this
//       node. Redis commands of one wake-up go out in one write, as a node that batches them would do.
//   kernel-floor client PORT_A PORT_B PAIRS RATE SECONDS SIZE
//       the load: PAIRS offerers on PORT_A and answerers on PORT_B (the same port for the relay), RATE offers per
//       second round-robin, each answered; prints "offers answers p50 p99" (one-way latency in µs).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum { MAX_FD = 65536, MAX_SIZE = 65536 };

static int size;

static void fail(const char *what) {
    perror(what);
    exit(1);
}

static void nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

static int dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = loopback(port);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("connect");
    nodelay(fd);
    return fd;
}

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = loopback(port);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 1024) != 0) fail("listen");
    return fd;
}

/// Writes everything, waiting out a full socket buffer; gives up on a socket that failed (a client gone at the end).
static void write_all(int fd, const char *bytes, size_t count) {
    while (count > 0) {
        ssize_t written = write(fd, bytes, count);
        if (written < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return;
        }
        bytes += written;
        count -= (size_t)written;
    }
}

static void watch(int poller, int fd) {
    struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event);
}

static int accept_client(int listener, int poller) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
    if (fd < 0) return -1;
    if (fd >= MAX_FD) {
        close(fd);
        return -1;
    }
    nodelay(fd);
    watch(poller, fd);
    return fd;
}

_Noreturn static void relay(int port) {
    static int partner[MAX_FD];
    static char buffer[MAX_SIZE];
    int listener = listen_on(port), poller = epoll_create1(0), waiting = -1;
    watch(poller, listener);
    struct epoll_event events[256];
    for (;;) {
        int ready = epoll_wait(poller, events, 256, -1);
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int client = accept_client(listener, poller);
                if (client < 0) continue;
                if (waiting < 0) {
                    waiting = client;
                } else {
                    partner[client] = waiting;
                    partner[waiting] = client;
                    waiting = -1;
                }
                continue;
            }
            ssize_t count = read(fd, buffer, sizeof buffer);
            if (count <= 0) {
                close(fd);
                continue;
            }
            write_all(partner[fd], buffer, (size_t)count);
        }
    }
}

_Noreturn static void node(int port, int redis_port, int self, int other) {
    enum { MAX_CLIENTS = 4096 };
    static int clients[MAX_CLIENTS], index_of[MAX_FD], filled[MAX_CLIENTS];
    static char pending[MAX_CLIENTS][MAX_SIZE + 16];
    static char commands[1 << 22], heard[1 << 22], buffer[MAX_SIZE];
    int count = 0, heard_bytes = 0;

    int commander = dial(redis_port), subscriber = dial(redis_port);
    char line[256];
    int length = snprintf(line, sizeof line, "*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\nn%d\r\n", (int)snprintf(NULL, 0, "n%d", self), self);
    write_all(subscriber, line, (size_t)length);
    if (read(subscriber, line, sizeof line) <= 0) fail("subscribe");
    nonblocking(commander);
    nonblocking(subscriber);

    char publish[64], message[64];
    int publish_length = snprintf(publish, sizeof publish, "*3\r\n$7\r\nPUBLISH\r\n$%d\r\nn%d\r\n$%d\r\n",
                                  (int)snprintf(NULL, 0, "n%d", other), other, size);
    int message_head = snprintf(message, sizeof message, "*3\r\n$7\r\nmessage\r\n$%d\r\nn%d\r\n$%d\r\n",
                                (int)snprintf(NULL, 0, "n%d", self), self, size);
    int message_length = message_head + size + 2;

    int listener = listen_on(port), poller = epoll_create1(0);
    watch(poller, listener);
    watch(poller, commander);
    watch(poller, subscriber);
    struct epoll_event events[256];
    for (;;) {
        int ready = epoll_wait(poller, events, 256, -1), queued = 0;
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int client = accept_client(listener, poller);
                if (client < 0) continue;
                if (count == MAX_CLIENTS) {
                    close(client);
                    continue;
                }
                index_of[client] = count;
                clients[count++] = client;
            } else if (fd == commander) {
                while (read(commander, buffer, sizeof buffer) > 0) {}  // the PUBLISH replies
            } else if (fd == subscriber) {
                ssize_t got;
                while ((got = read(subscriber, heard + heard_bytes, sizeof heard - (size_t)heard_bytes)) > 0)
                    heard_bytes += (int)got;
                int offset = 0;
                for (; heard_bytes - offset >= message_length; offset += message_length) {
                    const char *payload = heard + offset + message_head;
                    int target = atoi(payload);
                    if (target >= 0 && target < count) write_all(clients[target], payload, (size_t)size);
                }
                memmove(heard, heard + offset, (size_t)(heard_bytes - offset));
                heard_bytes -= offset;
            } else {
                ssize_t got = read(fd, buffer, sizeof buffer);
                if (got <= 0) {
                    close(fd);
                    continue;
                }
                int client = index_of[fd];
                for (ssize_t at = 0; at < got;) {
                    int take = size - filled[client];
                    if (take > got - at) take = (int)(got - at);
                    memcpy(pending[client] + filled[client], buffer + at, (size_t)take);
                    filled[client] += take;
                    at += take;
                    if (filled[client] < size) continue;
                    filled[client] = 0;
                    // The payload starts with the target's index, as a signal names its target.
                    snprintf(pending[client], 16, "%07d", client);
                    pending[client][7] = ' ';
                    if (queued + publish_length + size + 2 > (int)sizeof commands) {
                        write_all(commander, commands, (size_t)queued);
                        queued = 0;
                    }
                    memcpy(commands + queued, publish, (size_t)publish_length);
                    memcpy(commands + queued + publish_length, pending[client], (size_t)size);
                    memcpy(commands + queued + publish_length + size, "\r\n", 2);
                    queued += publish_length + size + 2;
                }
            }
        }
        if (queued > 0) write_all(commander, commands, (size_t)queued);
    }
}

static long long now_ns(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (long long)time.tv_sec * 1000000000LL + time.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/// Stamps a message with its send time (after the 8 bytes a node overwrites with the target's index).
static void stamp(char *message) {
    long long sent = now_ns();
    memcpy(message + 8, &sent, sizeof sent);
}

static int client(int port_a, int port_b, int pairs, int rate, int seconds) {
    static int answerer[MAX_FD], received[MAX_FD];
    static char *partial[MAX_FD];
    static char buffer[1 << 20];
    int *offerers = calloc((size_t)pairs, sizeof(int));
    char *message = malloc((size_t)size);
    memset(message, 'a', (size_t)size);
    int poller = epoll_create1(0);
    for (int pair = 0; pair < pairs; pair++) {
        // One at a time, so that both servers accept them in this order and pair them as the client does.
        int offerer = dial(port_a), answering = dial(port_b);
        nonblocking(offerer);
        nonblocking(answering);
        if (offerer >= MAX_FD || answering >= MAX_FD) fail("too many descriptors");
        answerer[answering] = 1;
        partial[offerer] = malloc((size_t)size);
        partial[answering] = malloc((size_t)size);
        offerers[pair] = offerer;
        watch(poller, offerer);
        watch(poller, answering);
        usleep(1000);
    }
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    long interval = 1000000000L / rate;
    struct itimerspec period = {{interval / 1000000000L, interval % 1000000000L},
                                {interval / 1000000000L, interval % 1000000000L}};
    timerfd_settime(timer, 0, &period, NULL);
    watch(poller, timer);
    size_t capacity = 2 * (size_t)rate * (size_t)(seconds + 1) + 1024, measured = 0;
    long long *latencies = malloc(capacity * sizeof(long long));
    long offers = 0, answers = 0;
    int next = 0;
    long long end = now_ns() + (long long)seconds * 1000000000LL;
    struct epoll_event events[256];
    while (now_ns() < end) {
        int ready = epoll_wait(poller, events, 256, 100);
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            if (fd == timer) {
                unsigned long long ticks;
                if (read(timer, &ticks, sizeof ticks) != sizeof ticks) continue;
                for (unsigned long long tick = 0; tick < ticks; tick++) {
                    stamp(message);
                    write_all(offerers[next], message, (size_t)size);
                    offers++;
                    next = (next + 1) % pairs;
                }
                continue;
            }
            ssize_t got = read(fd, buffer, sizeof buffer);
            for (ssize_t at = 0; at < got;) {
                int take = size - received[fd];
                if (take > got - at) take = (int)(got - at);
                memcpy(partial[fd] + received[fd], buffer + at, (size_t)take);
                received[fd] += take;
                at += take;
                if (received[fd] < size) continue;
                received[fd] = 0;
                long long sent;
                memcpy(&sent, partial[fd] + 8, sizeof sent);
                if (measured < capacity) latencies[measured++] = now_ns() - sent;
                if (answerer[fd]) {
                    stamp(message);
                    write_all(fd, message, (size_t)size);
                } else {
                    answers++;
                }
            }
        }
    }
    qsort(latencies, measured, sizeof(long long), by_value);
    long long p50 = measured ? latencies[measured / 2] : 0, p99 = measured ? latencies[measured * 99 / 100] : 0;
    printf("%ld %ld %lld %lld\n", offers, answers, p50 / 1000, p99 / 1000);
    return 0;
}

static int number(const char *text) { return atoi(text); }

static int valid_size(const char *text) {
    size = number(text);
    if (size < 16 || size > MAX_SIZE) {
        fprintf(stderr, "kernel-floor: SIZE must be 16...%d\n", MAX_SIZE);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "relay") == 0 && valid_size(argv[3])) relay(number(argv[2]));
    if (argc == 7 && strcmp(argv[1], "node") == 0 && valid_size(argv[6]))
        node(number(argv[2]), number(argv[3]), number(argv[4]), number(argv[5]));
    if (argc == 8 && strcmp(argv[1], "client") == 0 && valid_size(argv[7])) {
        int pairs = number(argv[4]), rate = number(argv[5]), seconds = number(argv[6]);
        if (pairs < 1 || rate < 1 || seconds < 1) {
            fprintf(stderr, "kernel-floor: PAIRS, RATE and SECONDS must be positive\n");
            return 2;
        }
        return client(number(argv[2]), number(argv[3]), pairs, rate, seconds);
    }
    fprintf(stderr, "usage: kernel-floor relay PORT SIZE | node PORT REDIS_PORT SELF OTHER SIZE |"
                    " client PORT_A PORT_B PAIRS RATE SECONDS SIZE\n");
    return 2;
}
