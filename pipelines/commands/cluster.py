"""beam-cluster: Beam's portable job service and an SDK worker pool on this machine."""

from __future__ import annotations

__all__ = ["register"]


def register(sub) -> None:
    cluster = sub.add_parser(
        "beam-cluster",
        help="run Beam's portable job service and an SDK worker pool here (a cluster rehearsal)",
        description="Starts Beam's portable job service and an external SDK worker pool on this machine and "
        "prints the --runner=PortableRunner flags that use them; serves until Ctrl-C. See docs/scaling.md.",
    )
    cluster.add_argument("--job-port", type=int, default=8099, help="job service port (default 8099; 0: any free)")
    cluster.add_argument("--worker-port", type=int, default=50000, help="worker pool port (default 50000; 0: any free)")
    cluster.add_argument("--log-dir", default=None, help="write the two services' logs here")
    cluster.add_argument("--bind", default="localhost", metavar="ADDRESS",
                         help="the address both services listen on (default localhost: this machine only; 0.0.0.0 "
                         "for every interface, which lets anyone who reaches the machine start workers)")
    cluster.set_defaults(func=beam_cluster)


def beam_cluster(args) -> int:
    import time

    from colordisc_tf.infra.beam_cluster import local_beam_cluster

    with local_beam_cluster(args.job_port, args.worker_port, args.log_dir, bind=args.bind) as flags:
        print("beam-cluster: job service and worker pool are up; add these flags to colordisc preprocess, prior "
              "or run:", flush=True)
        print("  " + " ".join(flags), flush=True)
        print("beam-cluster: Ctrl-C stops both", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("beam-cluster: stopping")
    return 0
