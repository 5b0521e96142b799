// The Linux OpenIPMI character device (/dev/ipmi0, drivers/char/ipmi/ipmi_devintf.c) as thin C wrappers. The ioctl
// numbers and the layouts of struct ipmi_req, ipmi_recv and the address structs come from <linux/ipmi.h>, so Swift
// never computes them by hand.
#ifndef COPENIPMI_H
#define COPENIPMI_H

#include <stdint.h>

/// The longest message the kernel carries (IPMI_MAX_MSG_LENGTH in <linux/ipmi_msgdefs.h>): completion code and data.
#define COPENIPMI_MAX_MESSAGE 272

/// Where a request goes.
enum copenipmi_address_kind {
    /// The BMC itself through the system interface (KCS, SMIC, BT, SSIF): IPMI_SYSTEM_INTERFACE_ADDR_TYPE on
    /// channel IPMI_BMC_CHANNEL.
    COPENIPMI_SYSTEM_INTERFACE = 0,
    /// A controller on an IPMB channel behind the BMC: IPMI_IPMB_ADDR_TYPE. The kernel wraps the request in Send
    /// Message and unwraps the answer.
    COPENIPMI_IPMB = 1,
};

struct copenipmi_address {
    enum copenipmi_address_kind kind;
    /// The IPMB channel (ignored for the system interface).
    uint8_t channel;
    /// The responder's IPMB slave address, e.g. 0x20 or 0x30 (ignored for the system interface).
    uint8_t slave_address;
    uint8_t lun;
};

/// One message read from the device.
struct copenipmi_message {
    /// IPMI_RESPONSE_RECV_TYPE (1) for an answer to one of our requests; 2 (event) and 3 (command) are not ours.
    int receive_type;
    /// The msgid given to copenipmi_send for the request this answers.
    long msgid;
    /// The answer's network function (the request's + 1) and command.
    uint8_t netfn;
    uint8_t command;
    /// Non-zero when the kernel had more bytes than `data` holds (IPMICTL_RECEIVE_MSG_TRUNC cut them).
    uint8_t truncated;
    /// Bytes in `data`: the completion code first, then the response data.
    uint16_t length;
    uint8_t data[COPENIPMI_MAX_MESSAGE];
};

/// Opens the device read-write, non-blocking and close-on-exec. Returns the descriptor, or -1 with errno set.
int copenipmi_open(const char *path);

/// Queues one request with IPMICTL_SEND_COMMAND_SETTIME; the kernel does not block on it. For IPMB addresses the
/// kernel retries `retries` times after `retry_time_ms` (0: its defaults); for the system interface both are
/// ignored. Returns 0, or -1 with errno set.
int copenipmi_send(int descriptor, const struct copenipmi_address *address, long msgid, uint8_t netfn,
                   uint8_t command, const uint8_t *data, uint16_t length, int retries, unsigned int retry_time_ms);

/// Reads one waiting message with IPMICTL_RECEIVE_MSG_TRUNC. Returns 0, or -1 with errno set (EAGAIN when none is
/// waiting).
int copenipmi_receive(int descriptor, struct copenipmi_message *message);

#endif
