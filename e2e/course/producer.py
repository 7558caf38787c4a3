"""Course-style producer: adds image tasks and prints their ids, one per line.

    producer.py --port P [--password PW] --count N --images DIR
    producer.py --port P path/a.jpg path/b.jpg
"""

import argparse
import os

from course_queue import RedisTaskQueue


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--password")
    ap.add_argument("--queue", default="image_processing")
    ap.add_argument("--count", type=int, default=0, help="tasks for DIR/img_1.jpg .. DIR/img_N.jpg")
    ap.add_argument("--images", default="images")
    ap.add_argument("--priority", default="normal", choices=["high", "normal", "low"])
    ap.add_argument("--filters", help="imgq filter spec stored in data, e.g. brightness:1.8,blur:2,grayscale")
    ap.add_argument("paths", nargs="*", help="image paths (instead of --count)")
    args = ap.parse_args()

    paths = list(args.paths) or [os.path.join(args.images, f"img_{k}.jpg") for k in range(1, args.count + 1)]
    q = RedisTaskQueue(args.host, args.port, args.password, args.queue)
    for path in paths:
        name = os.path.basename(path)
        data = {"name": name, "image_path": path, "output_path": os.path.join("output", name)}
        if args.filters:
            data["filters"] = args.filters
        print(q.add_task(data, priority=args.priority), flush=True)


if __name__ == "__main__":
    main()
