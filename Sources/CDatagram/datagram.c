#define _GNU_SOURCE
#include "CDatagram.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>

int cdatagram_receive(int descriptor, uint8_t *buffer, size_t slot_size, unsigned int count,
                      struct sockaddr_storage *senders, uint32_t *lengths) {
    struct mmsghdr messages[CDATAGRAM_MAX_BATCH];
    struct iovec vectors[CDATAGRAM_MAX_BATCH];
    if (count > CDATAGRAM_MAX_BATCH) count = CDATAGRAM_MAX_BATCH;
    memset(messages, 0, sizeof(struct mmsghdr) * count);
    for (unsigned int i = 0; i < count; i++) {
        vectors[i].iov_base = buffer + i * slot_size;
        vectors[i].iov_len = slot_size;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &senders[i];
        messages[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    }
    int received;
    do {
        received = recvmmsg(descriptor, messages, count, MSG_DONTWAIT, NULL);
    } while (received < 0 && errno == EINTR);
    for (int i = 0; i < received; i++) {
        lengths[i] = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : messages[i].msg_len;
    }
    return received;
}

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

/// Room for one UDP_SEGMENT control message, aligned as cmsg needs.
union cdatagram_segment_control {
    char buffer[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
};

int cdatagram_send(int descriptor, const struct cdatagram_outgoing *datagrams, unsigned int count) {
    struct mmsghdr messages[CDATAGRAM_MAX_BATCH];
    struct iovec vectors[CDATAGRAM_MAX_BATCH];
    union cdatagram_segment_control controls[CDATAGRAM_MAX_BATCH];
    if (count > CDATAGRAM_MAX_BATCH) count = CDATAGRAM_MAX_BATCH;
    memset(messages, 0, sizeof(struct mmsghdr) * count);
    for (unsigned int i = 0; i < count; i++) {
        vectors[i].iov_base = (void *)datagrams[i].bytes;
        vectors[i].iov_len = datagrams[i].length;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = (void *)datagrams[i].destination;
        messages[i].msg_hdr.msg_namelen = datagrams[i].destination_length;
        if (datagrams[i].segment_size > 0 && datagrams[i].length > datagrams[i].segment_size) {
            memset(&controls[i], 0, sizeof controls[i]);
            messages[i].msg_hdr.msg_control = controls[i].buffer;
            messages[i].msg_hdr.msg_controllen = sizeof controls[i].buffer;
            struct cmsghdr *control = CMSG_FIRSTHDR(&messages[i].msg_hdr);
            control->cmsg_level = SOL_UDP;
            control->cmsg_type = UDP_SEGMENT;
            control->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t size = datagrams[i].segment_size;
            memcpy(CMSG_DATA(control), &size, sizeof size);
        }
    }
    int sent;
    do {
        sent = sendmmsg(descriptor, messages, count, MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    return sent;
}

int cdatagram_poller_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cdatagram_poller_watch(int poller, int descriptor, int readable, int add) {
    struct epoll_event event = {.events = readable ? EPOLLIN : 0, .data = {.fd = descriptor}};
    return epoll_ctl(poller, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, descriptor, &event);
}

int cdatagram_poller_forget(int poller, int descriptor) {
    struct epoll_event event = {0};
    return epoll_ctl(poller, EPOLL_CTL_DEL, descriptor, &event);
}

/// Set once epoll_pwait2 turned out to be missing (kernels before 5.11).
static _Atomic int without_pwait2 = 0;

int cdatagram_poller_wait(int poller, int *ready, int capacity, int64_t timeout_nanoseconds) {
    struct epoll_event events[CDATAGRAM_MAX_BATCH];
    if (capacity > CDATAGRAM_MAX_BATCH) capacity = CDATAGRAM_MAX_BATCH;
    int count = -1;
    if (!without_pwait2) {
        struct timespec timeout = {
            .tv_sec = (time_t)(timeout_nanoseconds / 1000000000),
            .tv_nsec = (long)(timeout_nanoseconds % 1000000000),
        };
        count = epoll_pwait2(poller, events, capacity, timeout_nanoseconds < 0 ? NULL : &timeout, NULL);
        if (count < 0 && errno == ENOSYS) without_pwait2 = 1;
    }
    if (without_pwait2) {
        int milliseconds = timeout_nanoseconds < 0 ? -1 : (int)((timeout_nanoseconds + 999999) / 1000000);
        count = epoll_wait(poller, events, capacity, milliseconds);
    }
    for (int i = 0; i < count; i++) ready[i] = events[i].data.fd;
    return count;
}

int cdatagram_wake_descriptor(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void cdatagram_name_thread(const char *name) {
    char shortened[16];
    strncpy(shortened, name, sizeof shortened - 1);
    shortened[sizeof shortened - 1] = 0;
    pthread_setname_np(pthread_self(), shortened);
}
