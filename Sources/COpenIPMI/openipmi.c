#include "COpenIPMI.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ipmi.h>
#include <string.h>
#include <sys/ioctl.h>

int copenipmi_open(const char *path) {
    int descriptor;
    do {
        descriptor = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    } while (descriptor < 0 && errno == EINTR);
    return descriptor;
}

int copenipmi_send(int descriptor, const struct copenipmi_address *address, long msgid, uint8_t netfn,
                   uint8_t command, const uint8_t *data, uint16_t length, int retries, unsigned int retry_time_ms) {
    struct ipmi_system_interface_addr system_interface;
    struct ipmi_ipmb_addr ipmb;
    struct ipmi_req_settime request;
    uint8_t body[COPENIPMI_MAX_MESSAGE];
    if (length > sizeof(body)) {
        errno = EMSGSIZE;
        return -1;
    }
    memset(&request, 0, sizeof(request));
    if (address->kind == COPENIPMI_IPMB) {
        memset(&ipmb, 0, sizeof(ipmb));
        ipmb.addr_type = IPMI_IPMB_ADDR_TYPE;
        ipmb.channel = address->channel;
        ipmb.slave_addr = address->slave_address;
        ipmb.lun = address->lun;
        request.req.addr = (unsigned char *)&ipmb;
        request.req.addr_len = sizeof(ipmb);
    } else {
        memset(&system_interface, 0, sizeof(system_interface));
        system_interface.addr_type = IPMI_SYSTEM_INTERFACE_ADDR_TYPE;
        system_interface.channel = IPMI_BMC_CHANNEL;
        system_interface.lun = address->lun;
        request.req.addr = (unsigned char *)&system_interface;
        request.req.addr_len = sizeof(system_interface);
    }
    // The kernel copies the data during the call; a copy of ours keeps `data` const.
    if (length > 0) memcpy(body, data, length);
    request.req.msgid = msgid;
    request.req.msg.netfn = netfn;
    request.req.msg.cmd = command;
    request.req.msg.data_len = length;
    request.req.msg.data = body;
    request.retries = retries;
    request.retry_time_ms = retry_time_ms;
    int result;
    do {
        result = ioctl(descriptor, IPMICTL_SEND_COMMAND_SETTIME, &request);
    } while (result < 0 && errno == EINTR);
    return result < 0 ? -1 : 0;
}

int copenipmi_receive(int descriptor, struct copenipmi_message *message) {
    struct ipmi_recv received;
    struct ipmi_addr from;
    memset(&received, 0, sizeof(received));
    memset(message, 0, sizeof(*message));
    received.addr = (unsigned char *)&from;
    received.addr_len = sizeof(from);
    received.msg.data = message->data;
    received.msg.data_len = sizeof(message->data);
    int result;
    do {
        result = ioctl(descriptor, IPMICTL_RECEIVE_MSG_TRUNC, &received);
    } while (result < 0 && errno == EINTR);
    // With _TRUNC the kernel hands over what fits and reports EMSGSIZE; the message is consumed either way.
    if (result < 0 && errno != EMSGSIZE) return -1;
    message->truncated = result < 0;
    message->receive_type = received.recv_type;
    message->msgid = received.msgid;
    message->netfn = received.msg.netfn;
    message->command = received.msg.cmd;
    message->length = received.msg.data_len > sizeof(message->data) ? sizeof(message->data) : received.msg.data_len;
    return 0;
}
