/* capfile.h - what kind of capture file a path holds, from its first block:
 * pcap (microsecond or nanosecond, either byte order) or pcapng.  libpcap
 * reads both alike; a writer that must reproduce its input needs to know
 * the precision. */
#ifndef V6_CAPFILE_H
#define V6_CAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum capfile_kind {
	CAPFILE_UNKNOWN,
	CAPFILE_PCAP,
	CAPFILE_PCAP_NSEC,
	CAPFILE_PCAPNG,
};

/* Look at the first octets of a regular file ("-" and unreadable files give
 * CAPFILE_UNKNOWN; the caller's reader reports errors). */
enum capfile_kind capfile_probe(const char *path);
/* The same from the first n (>= 4) octets of a file. */
enum capfile_kind capfile_classify(const uint8_t *head, size_t n);

#endif
