package common

// Lang translates the dashboard's labels. English is the key; a missing Spanish
// entry falls back to English rather than showing nothing.
type Lang struct {
	Code  string
	table map[string]string
}

// NewLang returns the table for code ("es" for Spanish, anything else English).
func NewLang(code string) *Lang {
	if code == "es" {
		return &Lang{Code: "es", table: spanish}
	}
	return &Lang{Code: "en"}
}

// T returns the label for key in this language.
func (l *Lang) T(key string) string {
	if l == nil || l.table == nil {
		return key
	}
	if v, ok := l.table[key]; ok {
		return v
	}
	return key
}

// N is T for a label that counts n things: the plural form (the table's
// key+"#n") when n is not 1 and the language has one, else T(key). English
// labels after a count read the same for one and many ("3 busy").
func (l *Lang) N(key string, n int) string {
	if l != nil && l.table != nil && n != 1 {
		if v, ok := l.table[key+"#n"]; ok {
			return v
		}
	}
	return l.T(key)
}

// spanish is the course's language. Keys are the English labels.
var spanish = map[string]string{
	// keys
	"enqueue 1": "encolar 1", "enqueue 15": "encolar 15", "flush": "vaciar",
	"add worker": "añadir worker", "remove worker": "quitar worker",
	"pause/resume": "pausar/seguir", "fail 20%": "fallar 20%",
	"requeue failed": "reencolar fallidas", "MONITOR": "MONITOR",
	"requeue stuck": "reencolar atascadas",
	"stop failing":  "dejar de fallar", "hide MONITOR": "ocultar MONITOR", "pause": "pausar", "resume": "seguir",
	"failed tasks": "tareas fallidas", "find task": "buscar tarea",
	"leaderboard": "clasificación", "sort workers": "ordenar workers",
	"join line": "línea para unirse", "hide own reads": "ocultar lecturas propias",
	"focus": "foco", "focus back": "foco atrás", "up": "arriba", "down": "abajo",
	"page up": "pág. arriba", "page down": "pág. abajo", "top": "inicio",
	"newest": "lo último", "open": "abrir", "back": "volver",
	"requeue this": "reencolar esta", "requeue all": "reencolar todas",
	"yes": "sí", "no": "no", "help": "ayuda", "quit": "salir",
	// header
	"connected": "conectado", "connecting": "conectando",
	"disconnected, retrying in %s":    "desconectado, reintento en %s",
	"redis stalled: no answer for %s": "redis bloqueado: sin respuesta desde hace %s",
	"embedded":                        "embebido", "uptime": "activo", "throughput": "ritmo",
	"drain": "vaciado en", "workers": "workers", "fail injection": "fallos inyectados",
	"paused": "en pausa", "off": "no",
	"stuck %d": "atascadas %d", "wrong key type": "clave de tipo incorrecto",
	"running": "en marcha", "pace": "cadencia", "on": "sí", "queue latency": "latencia de la cola",
	"cluster %d masters":                  "cluster de %d maestros",
	"%d shards":                           "%d fragmentos",
	"failover: master is now %s (was %s)": "failover: el maestro es ahora %s (antes %s)",
	// queues
	"Queues": "Colas", "pending": "pendientes", "high": "alta", "normal": "normal",
	"low": "baja", "processing": "en curso", "retry": "reintento",
	"completed": "completadas", "failed": "fallidas", "last minute": "último minuto",
	"now": "ahora", "peak": "máx",
	// workers
	"Workers": "Workers", "Leaderboard": "Clasificación", "id": "id", "host/pid": "host/pid",
	"state": "estado", "current task": "tarea actual", "for": "hace",
	"done": "hechas", "fail": "fallos", "tasks/s": "tareas/s", "mean": "media",
	"util": "uso", "no workers yet": "aún no hay workers",
	"start one with: imgq worker": "arranca uno con: imgq worker",
	"idle":                        "libre", "busy": "ocupado", "gone": "perdido", "stopped": "parado",
	"sort": "orden", "start order": "llegada", "busiest": "más activos",
	"slowest": "más lentos", "newest first": "más nuevos",
	"course worker": "worker del curso", "%d observed": "%d observados", "observed": "observado",
	// events
	"Events": "Eventos", "following": "en vivo", "paused, %d new": "en pausa, %d nuevos",
	"%d skipped": "%d omitidos", "no events yet": "aún no hay eventos",
	"recovered from %s": "recuperada de %s", "attempt %d": "intento %d",
	"enqueued": "encolada", "claimed": "tomada", "retried": "reintentada",
	"recovered": "recuperada", "released": "liberada", "requeued": "reencolada",
	"flushed": "vaciada", "worker_up": "worker llega", "worker_gone": "worker perdido",
	"worker_stopped": "worker para", "ack_refused": "ack rechazado", "dropped": "descartada",
	"%d tasks": "%d tareas", "%d keys": "%d claves",
	"event completed": "completada", "event failed": "fallida", // one task, not the queue
	"observed, not reported": "observado, no informado",
	// monitor
	"MONITOR: every command the Redis server runs": "MONITOR: cada comando que ejecuta Redis",
	"starting MONITOR…":                            "iniciando MONITOR…",
	"MONITOR is not available: %s":                 "MONITOR no está disponible: %s",
	"the embedded Redis does not support MONITOR; run with --redis redis://… to see commands": "el Redis embebido no admite MONITOR; usa --redis redis://… para ver los comandos",
	"MONITOR ended: the connection closed (press m twice to restart)":                         "MONITOR terminó: se cerró la conexión (pulsa m dos veces para reiniciar)",
	"own reads hidden": "lecturas propias ocultas", "own reads shown": "lecturas propias visibles",
	// failed / detail / prompt
	"Failed tasks": "Tareas fallidas", "attempts": "intentos", "last error": "último error",
	"no failed tasks": "no hay tareas fallidas", "loading…": "cargando…",
	"Task": "Tarea", "task id or prefix": "id de tarea o prefijo", "name": "nombre",
	"status": "estado", "priority": "prioridad", "worker": "worker", "created": "creada",
	"started": "empezó", "finished": "terminó", "error": "error", "payload": "datos",
	"result": "resultado", "output file": "fichero de salida", "input bytes": "bytes de entrada",
	"other fields": "otros campos",
	// actions
	"Flush queue %s? Every task and counter is deleted. y/n": "¿Vaciar la cola %s? Se borran todas las tareas y contadores. y/n",
	"enqueued %d tasks": "%d tareas encoladas", "flushed %s (%d keys)": "vaciada %s (%d claves)",
	"requeued %d tasks": "%d tareas reencoladas", "workers: %d": "workers: %d",
	"requeued %d stuck task(s)": "%d tarea(s) atascada(s) reencolada(s)",
	"workers paused":            "workers en pausa", "workers resumed": "workers reanudados",
	"failure injection on: 20% of tasks fail": "fallos inyectados: falla el 20% de las tareas",
	"failure injection off":                   "fallos inyectados desactivados",
	"no embedded workers (--workers 0)":       "sin workers embebidos (--workers 0)",
	"enqueue is not available":                "encolar no está disponible",
	"Join the queue":                          "Únete a la cola", "join": "únete",
	"press any key to go back": "pulsa una tecla para volver",
	"Help":                     "Ayuda", "Queue": "Cola", "Views": "Vistas", "Navigate": "Navegar",
	// a student's read-only viewer (--share over SSH)
	"read-only viewer: that key is the teacher's": "solo lectura: esa tecla es del profesor",
	// event and worker columns
	"time": "hora", "kind": "tipo", "task": "tarea", "took": "tardó", "detail": "detalle", "dead": "muertas",
	// shared switches (pace, failure injection, pause) and instant feedback
	"failure injection %s is on (set by another dashboard); x turns it off": "inyección de fallos %s activa (la puso otro panel); x la apaga",
	"pace %s is on (set by another dashboard); < turns it down":             "cadencia %s activa (la puso otro panel); < la baja",
	"the workers are paused (set by another dashboard); p resumes them":     "los workers están en pausa (la puso otro panel); p los reanuda",
	"pace off: tasks run at full speed":                                     "cadencia apagada: las tareas van a toda velocidad",
	"pace %s: every imgq worker takes at least %s per task":                 "cadencia %s: cada worker de imgq tarda al menos %s por tarea",
	"turning off this dashboard's switches…":                                "apagando los interruptores de este panel…",
	"requeuing stuck tasks…":                                                "reencolando tareas atascadas…",
	"enqueuing %d tasks…":                                                   "encolando %d tareas…",
	"flushing %s…":                                                          "vaciando %s…",
	"requeuing…":                                                            "reencolando…",
	// plurals after a count (Lang.N)
	"busy#n": "ocupados", "gone#n": "perdidos", "embedded#n": "embebidos",
}
