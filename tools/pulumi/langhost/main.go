// Command pulumi-language-python is this project's own Python language host.
//
// The upstream host lives in a nested Go module that the module proxy reachable
// from these machines does not serve, so we build a small host of our own against
// the served sdk/v3 protocol definitions. It implements what `pulumi preview`,
// `up`, `refresh` and `destroy` need: plugin info, (empty) required plugins,
// Run, which executes the program through the SDK's pulumi-language-python-exec
// launcher with the interpreter of the project's virtualenv, and RunPlugin, which
// runs a Python policy pack (`--policy-pack`) as the engine's analyzer plugin.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

// bailExitCode is what the SDK launcher exits with after it already showed the
// user an actionable error; the engine must not repeat it.
const bailExitCode = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func (h *host) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// Providers are resolved lazily by the engine when a resource asks for one, so
// an empty answer is correct; it only forgoes ahead-of-time plugin installs,
// which cannot work offline anyway.
func (h *host) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	return &pulumirpc.AboutResponse{Executable: "python", Version: version}, nil
}

// Dependencies are installed by the project's own set-up (uv sync), not by the engine.
// That covers the policy pack too: its PulumiPolicy.yaml points `virtualenv` at the
// project's .venv, which holds pulumi-policy. The CLI calls this for a pack only when it
// installs a published one (`pulumi policy enable`/`publish`); `--policy-pack DIR` does not.
func (h *host) InstallDependencies(
	_ *pulumirpc.InstallDependenciesRequest,
	_ grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	return nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	if info == nil {
		return nil, status.Error(codes.InvalidArgument, "run request carries no program info")
	}
	python, err := interpreter(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	launcher, err := launcherPath()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := []string{"-u", launcher,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--organization", req.GetOrganization(),
		"--root_directory", info.GetRootDirectory(),
	}
	program := filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint())
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	// A stack with no config at all arrives as a nil map (and nil keys), which Go marshals
	// as `null`; the SDK's launcher expects an object and a list, and crashed on `null`.
	configValues := req.GetConfig()
	if configValues == nil {
		configValues = map[string]string{}
	}
	secretKeyList := req.GetConfigSecretKeys()
	if secretKeyList == nil {
		secretKeyList = []string{}
	}
	config, err := json.Marshal(configValues)
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(secretKeyList)
	if err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Dir = req.GetPwd()
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	// Config travels in the environment, never in argv, so secrets stay out of `ps`.
	cmd.Env = append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
	)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == bailExitCode {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a plugin written in Python. The engine uses it for Python policy packs
// (kind "analyzer"): `python -u -m pulumi.policy <args...> <pack dir>`, where the args end
// with the engine's address and `pulumi.policy` (in the pulumi SDK) loads the pack's
// __main__.py, whose PolicyPack serves the Analyzer protocol and prints its port. The
// plugin's output travels back on the response stream as it comes (the engine reads the
// port from the first stdout line), and the exit code is the stream's last message.
func (h *host) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	info := req.GetInfo()
	if info == nil {
		return status.Error(codes.InvalidArgument, "run plugin request carries no program info")
	}
	if kind := req.GetKind(); kind != "" && kind != "analyzer" {
		// Python resource providers and tools are not plugins this project ships.
		return status.Errorf(codes.Unimplemented, "running a %s plugin written in Python is not supported", kind)
	}
	// The pack's own runtime options (PulumiPolicy.yaml `virtualenv`) choose the
	// interpreter, relative to the pack's folder: ours points at the project's .venv,
	// which holds pulumi-policy (one lock, installed by `make setup`).
	python, err := interpreter(info)
	if err != nil {
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	args := []string{"-u", "-m", "pulumi.policy"}
	args = append(args, req.GetArgs()...)
	args = append(args, filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint()))

	// Ends with the stream: the engine cancels it when it closes the plugin.
	cmd := exec.CommandContext(server.Context(), python, args...)
	cmd.Dir = req.GetPwd()
	// The engine sends the whole environment the plugin should see (its own plus
	// additions), so it replaces ours rather than extending it.
	if env := req.GetEnv(); len(env) > 0 {
		cmd.Env = env
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return status.Errorf(codes.Internal, "starting %s: %v", python, err)
	}

	// A gRPC stream must not be written from two goroutines at once.
	var sendMu sync.Mutex
	send := func(msg *pulumirpc.RunPluginResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return server.Send(msg)
	}
	var copying sync.WaitGroup
	forward := func(r io.Reader, wrap func([]byte) *pulumirpc.RunPluginResponse) {
		defer copying.Done()
		buf := make([]byte, 32*1024)
		for {
			n, readErr := r.Read(buf)
			if n > 0 {
				chunk := append([]byte(nil), buf[:n]...)
				if send(wrap(chunk)) != nil {
					// The engine went away; keep draining so the plugin never blocks on a full pipe.
					_, _ = io.Copy(io.Discard, r)
					return
				}
			}
			if readErr != nil {
				return
			}
		}
	}
	copying.Add(2)
	go forward(stdout, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	})
	go forward(stderr, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	})
	// Both pipes must be drained before Wait closes them, or the tail of the output is lost.
	copying.Wait()
	code := int32(0)
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return status.Errorf(codes.Internal, "waiting for the policy pack: %v", err)
		}
		code = int32(exitErr.ExitCode())
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// interpreter picks the Python of the project's virtualenv: the `virtualenv`
// runtime option, `.venv` under `toolchain: uv`, otherwise PULUMI_PYTHON_CMD or python3.
func interpreter(info *pulumirpc.ProgramInfo) (string, error) {
	venv := ""
	options := info.GetOptions().AsMap()
	if v, ok := options["virtualenv"].(string); ok && v != "" {
		venv = v
	} else if t, ok := options["toolchain"].(string); ok && t == "uv" {
		venv = ".venv"
	}
	if venv != "" {
		if !filepath.IsAbs(venv) {
			venv = filepath.Join(info.GetRootDirectory(), venv)
		}
		python := filepath.Join(venv, "bin", "python")
		if _, err := os.Stat(python); err != nil {
			return "", fmt.Errorf(
				"the project's virtualenv %q has no bin/python; run `make setup` (or `uv sync`) first", venv)
		}
		return python, nil
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd, nil
	}
	return "python3", nil
}

// launcherPath finds the SDK's pulumi-language-python-exec script, installed next to this binary.
func launcherPath() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	launcher := filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")
	if _, err := os.Stat(launcher); err != nil {
		return "", fmt.Errorf("pulumi-language-python-exec is missing next to %s; rerun scripts/setup-pulumi.sh", self)
	}
	return launcher, nil
}

func main() {
	// The engine passes its own address as the last positional argument.
	engineAddress := ""
	if n := len(os.Args); n > 1 {
		engineAddress = os.Args[n-1]
	}
	cancel := make(chan bool)
	ctx, stop := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case <-signals:
		case <-ctx.Done():
		}
		close(cancel)
	}()
	// A killed CLI cannot stop us: watch the engine and exit when it is gone,
	// so no host (and no program it runs) is left behind.
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Second, stop); err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-language-python: cannot watch the engine: %v\n", err)
			os.Exit(1)
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{engineAddress: engineAddress})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: could not start: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
}
