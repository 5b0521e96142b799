// System calls for the IPMI transport's own event loop that Swift's Glibc module does not declare (recvmmsg,
// sendmmsg and struct mmsghdr need _GNU_SOURCE; epoll_pwait2, eventfd and thread names are not in it), as thin
// wrappers.
#ifndef CDATAGRAM_H
#define CDATAGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/// The most datagrams one call of cdatagram_receive or cdatagram_send handles.
#define CDATAGRAM_MAX_BATCH 64

/// Reads up to `count` (at most CDATAGRAM_MAX_BATCH) datagrams that are already waiting, without blocking (recvmmsg
/// with MSG_DONTWAIT). Datagram i is written at buffer + i * slot_size; its length goes to lengths[i] (0 when it
/// was longer than the slot and cut) and its sender to senders[i]. Returns how many were read, or -1 with errno set
/// (EAGAIN when none was waiting).
int cdatagram_receive(int descriptor, uint8_t *buffer, size_t slot_size, unsigned int count,
                      struct sockaddr_storage *senders, uint32_t *lengths);

/// The most datagrams one cdatagram_outgoing may carry as segments (the kernel allows 64).
#define CDATAGRAM_MAX_SEGMENTS 64

/// One datagram to send: its bytes and its destination. With `segment_size` set (and below `length`), the bytes are
/// several datagrams of that size end to end, the last one possibly shorter, sent as one buffer that the kernel cuts
/// into datagrams (UDP segmentation offload, UDP_SEGMENT, Linux 4.18): the receiver gets each datagram on its own,
/// and the sender pays for the trip through the IP stack once instead of once per datagram.
struct cdatagram_outgoing {
    const uint8_t *bytes;
    size_t length;
    const struct sockaddr *destination;
    socklen_t destination_length;
    uint16_t segment_size;
};

/// Sends up to `count` (at most CDATAGRAM_MAX_BATCH) messages with one sendmmsg, without blocking. Returns how
/// many the kernel took (the rest were not sent), or -1 with errno set (EIO or EINVAL for a segmented message on a
/// socket or route that cannot segment: send its datagrams one by one instead).
int cdatagram_send(int descriptor, const struct cdatagram_outgoing *datagrams, unsigned int count);

/// An epoll instance (close-on-exec) for a loop's descriptors, or -1 with errno set.
int cdatagram_poller_create(void);

/// Registers `descriptor` with the poller (`add` non-zero) or changes its registration, to report it when readable
/// (`readable` non-zero) or not at all for now. Returns 0, or -1 with errno set.
int cdatagram_poller_watch(int poller, int descriptor, int readable, int add);

/// Removes `descriptor` from the poller. Returns 0, or -1 with errno set.
int cdatagram_poller_forget(int poller, int descriptor);

/// Waits until registered descriptors are ready or `timeout_nanoseconds` have passed (negative: no limit) and
/// writes up to `capacity` ready descriptors to `ready`. Returns how many, or -1 with errno set. The timeout has
/// nanosecond granularity (epoll_pwait2) where the kernel has it, else it is rounded up to milliseconds; pacing reads
/// by microseconds needs the former.
int cdatagram_poller_wait(int poller, int *ready, int capacity, int64_t timeout_nanoseconds);

/// A non-blocking, close-on-exec eventfd for waking a loop that waits in cdatagram_poller_wait, or -1 with errno
/// set.
int cdatagram_wake_descriptor(void);

/// Names the calling thread (at most 15 bytes are kept), so that it shows in top -H and perf.
void cdatagram_name_thread(const char *name);

#endif
