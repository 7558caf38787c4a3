package common

// The MONITOR pane's labels, kept beside the main table so the pane's work and
// the rest of the dashboard's add labels without touching the same lines.
var spanishMonitor = map[string]string{
	"%s lines lost: Redis sent them faster than the dashboard read them":     "%s líneas perdidas: Redis las envió más rápido de lo que el panel las leía",
	"%s hidden: the dashboard's own polling and housekeeping (h shows them)": "%s ocultas: las consultas del propio panel y el mantenimiento (h las muestra)",
	"older lines are not kept (the newest %d are)":                           "las líneas antiguas no se guardan (sí las %d últimas)",
	"%s lines lost here": "%s líneas perdidas aquí",
}

func init() {
	for k, v := range spanishMonitor {
		spanish[k] = v
	}
}
