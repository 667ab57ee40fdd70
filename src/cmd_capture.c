/*
 * mlfscope capture: records a board's serial output to a log file, every byte as it
 * arrives, with a live count of tensors and CRC errors on a terminal. Ctrl-C is a normal
 * way to stop: the log is flushed, fsynced and closed, and the summary printed.
 */
/* command: capture | record a board's serial output to a log, raw bytes first, live progress */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "../dump/capture.h"
#include "banned.h"

static const char capture_usage[] =
    "usage: mlfscope capture --port DEV [--baud N] -o LOG [--append] [--until-end]\n"
    "                        [--timeout S]\n"
    "\n"
    "Records everything the board prints on a serial line to LOG, byte for byte, as it\n"
    "arrives. The line is set raw, 8N1, no flow control. On a terminal, stderr shows the\n"
    "bytes received and the @mlfs tensors and CRC errors seen so far.\n"
    "\n"
    "  -p, --port DEV     serial device (/dev/ttyACM0, /dev/ttyUSB0, a pty)\n"
    "  -b, --baud N       bits per second (default 115200)\n"
    "  -o, --output LOG   the log to write; refused if it exists, unless --append\n"
    "      --append       add to an existing LOG\n"
    "      --until-end    stop after the first complete '@mlfs end' line\n"
    "      --timeout S    stop after S seconds without a byte (decimals allowed)\n"
    "\n"
    "Stops on Ctrl-C (SIGINT) or SIGTERM too; nothing received is lost, and the exit\n"
    "status is 0. Exit 2: bad option, port or log file.\n";

/*
 * Set by the signal handler, read by capture_run's loop. A signal handler can reach
 * nothing but a file-scope object, hence this one mutable global.
 */
static volatile sig_atomic_t capture_stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    capture_stop_flag = 1;
}

struct progress {
    bool tty;
    double last;        /* when the line was last redrawn (monotonic seconds) */
    bool drawn;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void draw(const struct boardlog_stream *s)
{
    fprintf(stderr, "\r%llu bytes, %zu lines, %zu tensors, %zu crc errors, %zu corrupt%s%s\033[K",
            (unsigned long long)s->bytes, s->n_lines, s->n_tensors, s->n_bad_crc, s->n_corrupt,
            s->last_tensor[0] ? ", last " : "", s->last_tensor);
}

static void on_progress(const struct boardlog_stream *s, void *user)
{
    struct progress *p = user;
    double t = mono_s();
    if (!p->tty || t - p->last < 0.1)
        return;
    p->last = t;
    p->drawn = true;
    draw(s);
}

int cmd_capture(int argc, char **argv)
{
    enum { OPT_APPEND = 256, OPT_UNTIL_END, OPT_TIMEOUT };
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"baud", required_argument, NULL, 'b'},
        {"output", required_argument, NULL, 'o'},
        {"append", no_argument, NULL, OPT_APPEND},
        {"until-end", no_argument, NULL, OPT_UNTIL_END},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct capture_options o = {NULL, 115200, NULL, false, false, 0};
    int c;

    if (cmd_wants_help(argc, argv))
        return cmd_print_help(capture_usage);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "p:b:o:h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'p':
            o.port = optarg;
            break;
        case 'b': {
            errno = 0;
            unsigned long b = strtoul(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || b > 100000000ul ||
                !capture_baud_supported((unsigned)b))
                return cmd_usage_error(argv[0], "--baud: '%s' is not a supported rate "
                                       "(9600, 115200, 921600, ...)", optarg);
            o.baud = (unsigned)b;
            break;
        }
        case 'o':
            o.log_path = optarg;
            break;
        case OPT_APPEND:
            o.append = true;
            break;
        case OPT_UNTIL_END:
            o.until_end = true;
            break;
        case OPT_TIMEOUT:
            errno = 0;
            o.timeout_s = strtod(optarg, &end);
            if (errno != 0 || end == optarg || *end != '\0' || !(o.timeout_s > 0) ||
                o.timeout_s > 1e7)
                return cmd_usage_error(argv[0], "--timeout: expected seconds > 0, got '%s'",
                                       optarg);
            break;
        default:
            return cmd_usage_error(argv[0], "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    if (o.port == NULL)
        return cmd_usage_error(argv[0], "--port DEV is required");
    if (o.log_path == NULL)
        return cmd_usage_error(argv[0], "-o LOG is required");

    /* No SA_RESTART: a signal must cut poll() short so that we stop at once. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    capture_stop_flag = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct progress prog = {isatty(STDERR_FILENO) == 1, 0, false};
    struct boardlog_stream st;
    struct boardlog_stream *stats = &st;
    struct errbuf eb;
    enum capture_stop why = CAPTURE_STOP_HANGUP;
    errbuf_init(&eb);
    if (prog.tty)
        fprintf(stderr, "capturing %s at %u baud to %s (Ctrl-C to stop)\n", o.port, o.baud,
                o.log_path);
    int rc = capture_run(&o, &capture_stop_flag, on_progress, &prog, stats, &why, &eb);
    if (prog.drawn) {
        draw(stats);
        fputc('\n', stderr);
    }
    if (rc < 0) {
        if (stats->bytes > 0)
            cmd_warn("%llu bytes were saved to %s before the error",
                     (unsigned long long)stats->bytes, o.log_path);
        return cmd_fail(&eb);
    }
    printf("captured %llu bytes to %s: %zu runs (%zu ended), %zu tensors, %zu corrupt "
           "(%zu bad crc); stopped: %s\n",
           (unsigned long long)stats->bytes, o.log_path, stats->n_runs, stats->n_runs_ended,
           stats->n_tensors, stats->n_corrupt, stats->n_bad_crc, capture_stop_text(why));
    return EXIT_OK;
}
