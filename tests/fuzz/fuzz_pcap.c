/* fuzz_pcap.c - libFuzzer harness for the capture reader (pcap and pcapng
 * through libpcap and core/pio) feeding every frame to the parser. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pio.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[PIO_ERRLEN];
	struct pio_in *in;
	struct pio_frame f;
	int fd = memfd_create("fuzz_pcap", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	in = pio_try_open_offline(path, err);
	if (in) {
		unsigned frames = 0;
		while (frames++ < 100000 && pio_next(in, &f) == 1) {
			struct pkt p;
			pkt_parse(&p, pio_dlt(in), f.data, f.caplen, f.wirelen);
		}
		pio_close(in);
	}
	close(fd);
	return 0;
}
