"""Course-style worker: brightness 1.8 -> Gaussian blur 2 -> grayscale, one task at a time.

    worker.py --port P [--password PW] --worker-id W [--max-tasks N] [--idle-exit S] [--crash-after-claim]

--crash-after-claim takes one task and dies (os._exit(1)) before finishing it,
as a crashed course worker does: the task stays in <queue>:processing.
"""

import argparse
import os
import sys
import time

from PIL import Image, ImageEnhance, ImageFilter

from course_queue import RedisTaskQueue


def process(image_path, output_path):
    with Image.open(image_path) as img:
        img = img.convert("RGB")
        img = ImageEnhance.Brightness(img).enhance(1.8)
        img = img.filter(ImageFilter.GaussianBlur(2))
        img = img.convert("L")
        parent = os.path.dirname(output_path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        img.save(output_path)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--password")
    ap.add_argument("--queue", default="image_processing")
    ap.add_argument("--worker-id", default=f"py-worker-{os.getpid()}")
    ap.add_argument("--max-tasks", type=int, default=0, help="exit after this many tasks (0: no limit)")
    ap.add_argument("--idle-exit", type=float, default=0, help="exit after this many seconds with no task (0: never)")
    ap.add_argument("--crash-after-claim", action="store_true")
    args = ap.parse_args()

    q = RedisTaskQueue(args.host, args.port, args.password, args.queue)
    wid = args.worker_id
    done = failed = 0
    idle_since = time.time()
    print(f"{wid}: up on {args.host}:{args.port}, queue {args.queue}", flush=True)
    while not args.max_tasks or done + failed < args.max_tasks:
        task = q.get_task(wid, timeout=1)
        if task is None:
            if args.idle_exit and time.time() - idle_since >= args.idle_exit:
                print(f"{wid}: idle for {args.idle_exit}s, exiting", flush=True)
                break
            continue
        task_id = task["id"]
        if args.crash_after_claim:
            print(f"{wid}: claimed {task_id}, crashing", flush=True)
            os._exit(1)
        start = time.time()
        try:
            data = task["data"]
            if not isinstance(data, dict):
                raise ValueError(f"task:{task_id} has no readable data")
            output_path = data["output_path"]
            process(data["image_path"], output_path)
            total = time.time() - start
            q.mark_completed(task_id, {"output_path": output_path, "worker_id": wid, "total_time": total})
            done += 1
            print(f"{wid}: completed {task_id} -> {output_path} ({total:.3f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 - the course marks any failure failed
            q.mark_failed(task_id, str(e))
            failed += 1
            print(f"{wid}: failed {task_id}: {e}", flush=True)
        idle_since = time.time()
    print(f"{wid}: done, {done} completed, {failed} failed, stats {q.get_stats()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
