#!/usr/bin/env python3
"""tests/containers/bundle.py BUNDLE ROOTFS [options] -- ARG...

Writes BUNDLE/config.json for the container tests: `crun spec`'s default
(taken as it is, from the crun under test) with the process, root and
annotations these options ask for. The root is ROOTFS (absolute), writable.

  --env NAME=VALUE     add to the process's environment (repeatable)
  --cwd DIR            the process's working directory
  --user UID:GID       the process's user, and --group GID (repeatable) for
                       its additional groups
  --terminal           process.terminal = true
  --size ROWSxCOLS     process.consoleSize (what podman -t sets from its
                       terminal; crun sizes the container's pty with it)
  --ann KEY=VALUE      an annotation (repeatable)
  --kvm                let the container use /dev/kvm: a device cgroup rule
                       for c 10:232 (the node itself is the handler's work)
"""
import json
import os
import subprocess
import sys


def main(argv):
    if "--" not in argv or len(argv) < 3:
        sys.exit(__doc__)
    cut = argv.index("--")
    opts, args = argv[:cut], argv[cut + 1:]
    bundle, rootfs = opts[0], opts[1]
    os.makedirs(bundle, exist_ok=True)
    cfg = os.path.join(bundle, "config.json")
    if os.path.exists(cfg):
        os.unlink(cfg)
    subprocess.run(["crun", "spec", "-b", bundle], check=True)
    with open(cfg) as f:
        spec = json.load(f)
    proc = spec["process"]
    proc["args"] = args
    proc["terminal"] = False
    spec["root"] = {"path": rootfs, "readonly": False}
    ann = {}
    groups = []
    i = 2
    while i < len(opts):
        o = opts[i]
        v = opts[i + 1] if i + 1 < len(opts) else None
        if o == "--terminal":
            proc["terminal"] = True
            i += 1
            continue
        if o == "--kvm":
            res = spec["linux"].setdefault("resources", {})
            res.setdefault("devices", []).append(
                {"allow": True, "type": "c", "major": 10, "minor": 232,
                 "access": "rwm"})
            i += 1
            continue
        if v is None:
            sys.exit("bundle.py: %s needs a value" % o)
        if o == "--env":
            proc["env"].append(v)
        elif o == "--size":
            rows, cols = v.split("x")
            proc["consoleSize"] = {"height": int(rows), "width": int(cols)}
        elif o == "--cwd":
            proc["cwd"] = v
        elif o == "--user":
            uid, gid = v.split(":")
            proc["user"] = {"uid": int(uid), "gid": int(gid)}
        elif o == "--group":
            groups.append(int(v))
        elif o == "--ann":
            k, _, val = v.partition("=")
            ann[k] = val
        else:
            sys.exit("bundle.py: unknown option " + o)
        i += 2
    if groups:
        proc.setdefault("user", {"uid": 0, "gid": 0})["additionalGids"] = groups
    if ann:
        spec["annotations"] = ann
    with open(cfg, "w") as f:
        json.dump(spec, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
