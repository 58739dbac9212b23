"""Times `reason collect` against a moto server holding a ~1,000-ENI account.

    python benchmarks/collect.py --enis 1000 --runs 3

Starts ``moto.server.ThreadedMotoServer`` on 127.0.0.1 (free port), creates ``--enis`` network
interfaces spread over 4 VPCs x 5 subnets, each with one of 20 security groups (3 rules each),
then runs the real CLI (``reason collect --quiet``, a fresh process each time, ``AWS_ENDPOINT_URL``
pointing at the server) ``--runs`` times and prints the median wall time, also with
``--workers 1`` for comparison.  Not a test: the figures go in notes.  Moto answers every page
from one Python process, so the figure measures our overhead plus moto's, not AWS latency.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

ACCOUNT, REGION = "123456789012", "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def populate(session: boto3.Session, enis: int) -> None:
    """4 VPCs x 5 subnets, 20 security groups, ``enis`` ENIs round-robin over subnets and groups."""
    ec2 = session.client("ec2", region_name=REGION)
    subnets: list[tuple[str, str]] = []  # (subnet id, security group id)
    for v in range(4):
        vpc = ec2.create_vpc(CidrBlock=f"10.{v}.0.0/16")["Vpc"]["VpcId"]
        for s in range(5):
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{v}.{s}.0/24")["Subnet"]["SubnetId"]
            sg = ec2.create_security_group(GroupName=f"sg-{v}-{s}", Description="bench", VpcId=vpc)["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
                {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8099, "UserIdGroupPairs": [{"GroupId": sg}]},
                {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": f"10.{v}.0.0/16"}]}])
            subnets.append((subnet, sg))

    def make(i: int) -> None:
        subnet, sg = subnets[i % len(subnets)]
        ec2.create_network_interface(SubnetId=subnet, Groups=[sg], TagSpecifications=[
            {"ResourceType": "network-interface", "Tags": [{"Key": "Name", "Value": f"eni-bench-{i}"}]}])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, range(enis)))


def reason_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("reason")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "reasoner"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enis", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    work = Path(tempfile.mkdtemp(prefix="reason-collect-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true")
    try:
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        t = time.perf_counter()
        populate(boto3.Session(), args.enis)
        print(f"populated {args.enis} ENIs (4 VPCs x 5 subnets, 20 SGs) in {time.perf_counter() - t:.1f} s")

        def once(*extra: str) -> tuple[float, str]:
            out = work / "snap"
            t0 = time.perf_counter()
            r = subprocess.run([*reason_cmd(), "collect", "--quiet", "--out", str(out), *extra], env=env,
                               capture_output=True, text=True)
            wall = time.perf_counter() - t0
            if r.returncode != 0:
                sys.exit(f"reason collect failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
            return wall, r.stdout

        for label, extra in (("default (--workers 8)", ()), ("--workers 1", ("--workers", "1"))):
            walls = []
            stdout = ""
            for _ in range(args.runs):
                wall, stdout = once(*extra)
                walls.append(wall)
            print(f"reason collect {label}: median {statistics.median(walls):.2f} s over {args.runs} runs "
                  f"(runs: {', '.join(f'{w:.2f}' for w in walls)})")
        print("last run said:", stdout.strip().splitlines()[0])
        out = work / "snap"
        enis = json.loads((out / "aws_configs" / ACCOUNT / REGION / "NetworkInterfaces.json").read_text())["NetworkInterfaces"]
        manifest = json.loads((out / "facts" / "manifest.json").read_text())
        size = sum(p.stat().st_size for p in (out / "aws_configs").rglob("*.json"))
        print(f"snapshot: {len(enis)} ENIs, {size / 1024:.0f} KiB raw JSON, {sum(manifest['counts'].values())} facts, "
              f"incomplete {json.loads((out / 'reason-collect.json').read_text())['incomplete']}")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
