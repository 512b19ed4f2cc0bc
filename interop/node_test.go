package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/wsactor/wsactor/internal/testpeer"
)

// nodeWS returns the Node.js ws peer, or skips (fails under CI=true) when
// node or the pinned ws package is not installed.
func nodeWS(t *testing.T) peer {
	t.Helper()
	node, err := exec.LookPath("node")
	var version string
	if err == nil {
		version, err = installedNodeWS()
	}
	testpeer.Require(t, "node ws", err, "cd interop && npm ci")
	t.Logf("node ws %s", version)
	return peer{name: "node ws", argv: []string{node, "peers/ws_peer.mjs"}}
}

// installedNodeWS returns the version of ws in node_modules, and an error
// when it is missing or is not the version package.json pins.
func installedNodeWS() (string, error) {
	var pkg struct {
		Version      string            `json:"version"`
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := readJSON("package.json", &pkg); err != nil {
		return "", err
	}
	pinned := pkg.Dependencies["ws"]
	pkg.Version = ""
	if err := readJSON("node_modules/ws/package.json", &pkg); err != nil {
		return "", err
	}
	if pkg.Version != pinned {
		return "", fmt.Errorf("node_modules holds ws %s, package.json pins %s", pkg.Version, pinned)
	}
	return pkg.Version, nil
}

func readJSON(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func TestNodeWSClientAgainstWsactorServer(t *testing.T) {
	testWsactorServer(t, nodeWS(t))
}

func TestWsactorClientAgainstNodeWSServer(t *testing.T) {
	testWsactorClient(t, nodeWS(t))
}
