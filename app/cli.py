"""`playground serve | worker | train-defaults | fetch-models`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from app.lan import lan_addresses
from app.settings import Settings, get_settings


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.main import create_app

    settings = settings.model_copy(update={"host": args.host, "port": args.port})
    generated = not settings.teacher_token
    if generated:  # classroom mode: a fresh teacher token for this run, printed below
        import secrets

        settings = settings.model_copy(update={"teacher_token": secrets.token_urlsafe(12)})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    workers = None
    if not args.no_worker and settings.workers > 0:
        from app.jobs.supervisor import LocalWorkers

        workers = LocalWorkers(settings, settings.workers).start()  # a dead one is started again
    print(f"\n  函數學習機 AI Playground — http://{'localhost' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}/")
    if args.host in ("0.0.0.0", "::"):
        for address in lan_addresses():
            print(f"  學生請開 Students open: http://{address}:{args.port}/")
    local = f"http://{'localhost' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    print(f"  老師開課 Teacher: {local}/classroom" + (f"?token={settings.teacher_token}" if generated else "  (PLAYGROUND_TEACHER_TOKEN)"))
    for address in lan_addresses() if args.host in ("0.0.0.0", "::") else []:
        print(f"  學生加入課堂 Students join: http://{address}:{args.port}/join")
    print(f"  資料 Data: {settings.data_dir}\n", flush=True)
    # uvicorn re-raises the SIGTERM it caught once it has shut down; as SystemExit it lets the
    # `finally` below stop the workers instead of ending this process with them still running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        # timeout_graceful_shutdown: open classroom event streams never end by themselves; without
        # it, Ctrl+C would wait for every phone to go away.
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info", proxy_headers=False,
                    access_log=args.access_log,  # a line per request costs ~10 % of a digit prediction
                    timeout_graceful_shutdown=3)
    finally:
        if workers is not None:
            workers.stop()
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    import app.tables  # noqa: F401  (every table, so that the worker creates them all)
    from app.jobs.worker import run_worker

    return run_worker(settings, backend=args.backend, device=args.device)


def cmd_train_defaults(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from app.ml.train_defaults import train_defaults

    for manifest in train_defaults(settings, Path(args.out), only=args.only, epochs=args.epochs):
        metrics = manifest["metrics"]
        score = (f"test accuracy {metrics['test_accuracy']:.4f}" if "test_accuracy" in metrics
                 else f"loss {metrics['loss']:.4f}, {metrics['completions_right']}/{metrics['completions_checked']} famous lines")
        print(f"{manifest['id']}: {score} → {args.out}/{manifest['file']}")
    if not args.only or "gan-digits" in args.only:
        from app.ml.gan_default import train_gan_default

        m = train_gan_default(settings, Path(args.out), epochs=args.epochs)
        print(f"{m['id']}: fidelity {m['metrics']['fidelity']:.4f}, diversity {m['metrics']['diversity']:.3f} "
              f"→ {args.out}/{m['file']}")
    return 0


def cmd_fetch_models(args: argparse.Namespace, settings: Settings) -> int:
    from app.ml.fetch import fetch_models
    from app.ml.registry import ModelRegistry

    print(f"Model cache 模型快取: {settings.data_dir / 'cache'}")
    missing = fetch_models(ModelRegistry(settings))
    print("All models are here. 模型都準備好了。" if not missing else f"{missing} file(s) missing. 還有 {missing} 個檔案沒下載。")
    return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser(prog="playground", description="函數學習機 AI Playground")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the web app (and one local training worker)")
    serve.add_argument("--host", default=get_settings().host, help="0.0.0.0 to let phones on the LAN in")
    serve.add_argument("--port", type=int, default=get_settings().port)
    serve.add_argument("--no-worker", action="store_true", help="start no local worker (scaled deployments)")
    serve.add_argument("--access-log", action="store_true", help="log every request (off: 300 phones make a lot of lines)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a training worker")
    worker.add_argument("--backend", choices=["tensorflow", "jax", "torch"], default=None,
                        help="KERAS_BACKEND for training (default: the environment's, else tensorflow)")
    worker.add_argument("--device", default=None, help="GPU index to use, e.g. 0 (default: all visible)")
    worker.set_defaults(func=cmd_worker)

    train = sub.add_parser("train-defaults", help="train the default models (digit DNN, CNN, GAN; poem LSTM) into models/")
    train.add_argument("--out", default="models", help="folder for the .keras, .tflite and manifest files")
    train.add_argument("--only", action="append", choices=["digits-dnn", "digits-cnn", "poems-lstm", "gan-digits"], help="train just this one")
    train.add_argument("--epochs", type=int, default=None, help="override the epochs (quick trials)")
    train.set_defaults(func=cmd_train_defaults)

    fetch = sub.add_parser("fetch-models", help="download every built-in model into the cache (before a workshop)")
    fetch.set_defaults(func=cmd_fetch_models)

    args = parser.parse_args(argv)
    return args.func(args, get_settings())


if __name__ == "__main__":
    sys.exit(main())
