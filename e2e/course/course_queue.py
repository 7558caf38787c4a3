"""A course-style Redis task queue (lesson 4's layout), for imgq's e2e tests.

Written from the layout the lesson describes; no course code is copied.

    <Q>:pending[:high|:low]  LIST of task ids   producers RPUSH, this worker RPOPs
    <Q>:processing           HASH id -> worker  claim = HSET, finish = HDEL
    <Q>:completed, :failed   LIST of ids        newest first (LPUSH)
    task:<id>                HASH id, data (JSON), status, worker_id,
                             created_at, started_at, completed_at, error
    result:<id>              HASH task_id, output_path, worker_id, total_time

Like the course's code, the claim is RPOP then HSET (not atomic) and the queue
is LIFO for this worker: the e2e tests need a faithful course worker, flaws included.
"""

import json
import time
import uuid

import redis

PRIORITIES = ("high", "normal", "low")


class RedisTaskQueue:
    def __init__(self, host="127.0.0.1", port=6379, password=None, queue_name="image_processing"):
        self.redis = redis.Redis(host=host, port=port, password=password, decode_responses=True)
        self.queue_name = queue_name
        self.pending = {
            "high": f"{queue_name}:pending:high",
            "normal": f"{queue_name}:pending",
            "low": f"{queue_name}:pending:low",
        }
        self.processing = f"{queue_name}:processing"
        self.completed = f"{queue_name}:completed"
        self.failed = f"{queue_name}:failed"
        self.redis.ping()

    @staticmethod
    def task_key(task_id):
        return f"task:{task_id}"

    @staticmethod
    def result_key(task_id):
        return f"result:{task_id}"

    def add_task(self, data, priority="normal"):
        if priority not in self.pending:
            raise ValueError(f"priority {priority!r}: want one of {', '.join(PRIORITIES)}")
        task_id = f"task-{uuid.uuid4().hex[:8]}"
        self.redis.hset(self.task_key(task_id), mapping={
            "id": task_id,
            "data": json.dumps(data),
            "status": "pending",
            "created_at": str(time.time()),
        })
        self.redis.rpush(self.pending[priority], task_id)
        return task_id

    def get_task(self, worker_id, timeout=0):
        """Take a task (high, then normal, then low). timeout > 0 blocks with BRPOP."""
        lists = [self.pending[p] for p in PRIORITIES]
        task_id = None
        if timeout and timeout > 0:
            got = self.redis.brpop(lists, timeout=int(max(1, round(timeout))))
            if got:
                task_id = got[1]
        else:
            for key in lists:
                task_id = self.redis.rpop(key)
                if task_id:
                    break
        if not task_id:
            return None
        self.redis.hset(self.processing, task_id, worker_id)
        self.redis.hset(self.task_key(task_id), mapping={
            "status": "processing",
            "worker_id": worker_id,
            "started_at": str(time.time()),
        })
        raw = self.redis.hget(self.task_key(task_id), "data")
        try:
            data = json.loads(raw) if raw is not None else None
        except ValueError:
            data = None
        return {"id": task_id, "data": data}

    def mark_completed(self, task_id, result):
        now = time.time()
        task = self.redis.hgetall(self.task_key(task_id))
        worker_id = result.get("worker_id") or task.get("worker_id", "")
        total_time = result.get("total_time")
        if total_time is None:
            try:
                total_time = now - float(task.get("started_at", now))
            except ValueError:
                total_time = 0.0
        self.redis.hdel(self.processing, task_id)
        self.redis.lpush(self.completed, task_id)
        self.redis.hset(self.task_key(task_id), mapping={
            "status": "completed",
            "completed_at": str(now),
        })
        self.redis.hset(self.result_key(task_id), mapping={
            "task_id": task_id,
            "output_path": result.get("output_path", ""),
            "worker_id": worker_id,
            "total_time": str(total_time),
        })

    def mark_failed(self, task_id, error):
        self.redis.hdel(self.processing, task_id)
        self.redis.lpush(self.failed, task_id)
        self.redis.hset(self.task_key(task_id), mapping={
            "status": "failed",
            "error": str(error),
            "completed_at": str(time.time()),
        })

    def get_stats(self):
        return {
            "pending": sum(self.redis.llen(k) for k in self.pending.values()),
            "processing": self.redis.hlen(self.processing),
            "completed": self.redis.llen(self.completed),
            "failed": self.redis.llen(self.failed),
        }

    def clear(self):
        """Delete the queue's lists and the task/result hashes they name."""
        ids = set(self.redis.hkeys(self.processing))
        for key in [*self.pending.values(), self.completed, self.failed]:
            ids.update(self.redis.lrange(key, 0, -1))
        keys = [*self.pending.values(), self.processing, self.completed, self.failed]
        for task_id in ids:
            keys += [self.task_key(task_id), self.result_key(task_id)]
        self.redis.delete(*keys)
