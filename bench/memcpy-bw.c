// SPDX-License-Identifier: GPL-2.0
/*
 * memcpy-bw: the guest's memory copy bandwidth with 1 MiB copies, the
 * physical limit of a RAM disk that copies each byte once.
 *
 * Copies 1 MiB blocks between two 64 MiB buffers (larger than any cache)
 * for SECONDS and prints the rate in MiB/s on one line.
 *
 * Usage: memcpy-bw [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK		(1UL << 20)
#define BUFFER		(64UL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3.0;
	char *src = malloc(BUFFER), *dst = malloc(BUFFER);
	unsigned long copied = 0, off = 0;
	double start, elapsed;

	if (!src || !dst || seconds <= 0) {
		fprintf(stderr, "usage: %s [SECONDS]\n", argv[0]);
		return 2;
	}
	memset(src, 0x5a, BUFFER);	/* fault every page in before timing */
	memset(dst, 0xa5, BUFFER);

	start = now();
	do {
		memcpy(dst + off, src + off, BLOCK);
		off = (off + BLOCK) % BUFFER;
		copied += BLOCK;
	} while ((copied & (BUFFER - 1)) || now() - start < seconds);
	elapsed = now() - start;

	/* Keep the copies observable so the compiler cannot drop them. */
	if (dst[BUFFER - 1] != 0x5a)
		return 1;
	printf("%.0f\n", copied / elapsed / BLOCK);
	free(src);
	free(dst);
	return 0;
}
