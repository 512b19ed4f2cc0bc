package interop

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/internal/testpeer"
)

// debianPython is Debian's interpreter, the one that sees Debian's
// python3-websockets (a python3 earlier on PATH may not).
const debianPython = "/usr/bin/python3"

// pythonWebsockets returns the Python websockets peer, or skips (fails
// under CI=true) when Debian's python3-websockets is not installed.
func pythonWebsockets(t *testing.T) peer {
	t.Helper()
	out, err := exec.Command(debianPython, "-c", "import websockets.version as v; print(v.version)").Output()
	testpeer.Require(t, "python websockets", err, "apt-get install python3-websockets")
	t.Logf("python websockets %s", strings.TrimSpace(string(out)))
	return peer{name: "python websockets", argv: []string{debianPython, "peers/websockets_peer.py"}}
}

func TestPythonWebsocketsClientAgainstWsactorServer(t *testing.T) {
	testWsactorServer(t, pythonWebsockets(t))
}

func TestWsactorClientAgainstPythonWebsocketsServer(t *testing.T) {
	testWsactorClient(t, pythonWebsockets(t))
}
