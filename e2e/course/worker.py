"""Course-style worker: brightness 1.8 -> Gaussian blur 2 -> grayscale, one task at a time.

    worker.py --port P [--password PW] --worker-id W [--max-tasks N] [--idle-exit S] [--crash-after-claim]
              [--task-filters]

--task-filters (imgq bench course, for a --filters other than the lesson's)
applies the task's own data["filters"] (imgq's spec: brightness:F, blur:R,
grayscale, edges) with the same Pillow calls; without it the chain is the
lesson's, whatever the task says.

--crash-after-claim takes one task and dies (os._exit(1)) before finishing it,
as a crashed course worker does: the task stays in <queue>:processing.
"""

import argparse
import os
import sys
import time

from PIL import Image, ImageEnhance, ImageFilter

from course_queue import RedisTaskQueue


def apply_spec(img, spec):
    """imgq's filter spec ("brightness:1.8,blur:2,grayscale") with the lesson's Pillow calls."""
    for part in spec.split(","):
        name, _, arg = part.strip().lower().partition(":")
        if name == "brightness":
            img = ImageEnhance.Brightness(img).enhance(float(arg or 1.8))
        elif name == "blur":
            img = img.filter(ImageFilter.GaussianBlur(float(arg or 2)))
        elif name == "grayscale":
            img = img.convert("L")
        elif name == "edges":
            img = img.filter(ImageFilter.FIND_EDGES)
        elif name:
            raise ValueError(f"filter {name!r}: this course worker knows brightness, blur, grayscale, edges")
    return img


def process(image_path, output_path, spec=None):
    with Image.open(image_path) as img:
        img = img.convert("RGB")
        if spec is None:
            img = ImageEnhance.Brightness(img).enhance(1.8)
            img = img.filter(ImageFilter.GaussianBlur(2))
            img = img.convert("L")
        else:
            img = apply_spec(img, spec)
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
    ap.add_argument("--task-filters", action="store_true", help="apply the task's data filters instead of the lesson's chain")
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
            spec = data.get("filters", "") if args.task_filters else None
            process(data["image_path"], output_path, spec)
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
