"""Load-balancer nodes the snapshot does not hold as ENIs, derived from the load balancer's enabled subnets.

Handled: one node per enabled subnet whose ENI was not collected (moto, a partial collection), carrying the load
balancer's security groups, at the address ``LoadBalancerAddresses`` gives or, when unknown, an assumed one (said
in a warning, and marked ``lb_node_address_assumed``: where the snapshot's rules tell apart the addresses the node may
have, the answers through it are undecided, rules/missing_data.dl ``lb_node_address_open``). Derived nodes are marked (``lb_node_derived``), so rules can tell that their groups come from the
LoadBalancers answer (rules/load_balancers.dl: an ALB's missing groups are unknown, not "none").
Not handled: IPv6 node addresses.
"""

from __future__ import annotations

from reasoner.explain.paths import ip_text


def derive_nodes(relations: dict[str, list[tuple]], names: dict[str, str]) -> tuple[dict[str, list[tuple]], list[str]]:
    """Nodes for load balancers whose ENIs were not collected (e.g. moto, or a partial snapshot): one
    per enabled subnet, carrying the load balancer's security groups, at the address from
    ``LoadBalancerAddresses`` or, when unknown, the subnet's first usable address (AWS reserves the
    first four): the returned warnings say which addresses are assumed."""
    eni_subnet = {r[0]: r[1] for r in relations.get("eni", [])}
    have = {(lb, eni_subnet.get(e)) for lb, e in relations.get("lb_eni", [])}
    addr = {(lb, sub): ip for lb, sub, ip in relations.get("lb_node_ip", [])}
    subnets = {r[0]: r for r in relations.get("subnet", []) if r[3] < 1 << 32}  # the IPv4 block (a node's address)
    lbs = {r[0]: r for r in relations.get("load_balancer", [])}
    sgs: dict[str, list[str]] = {}
    for lb, sg in relations.get("lb_sg", []):
        sgs.setdefault(lb, []).append(sg)
    extra: dict[str, list[tuple]] = {"eni": [], "eni_ip": [], "eni_sg": [], "lb_eni": [], "lb_node_derived": [],
                                     "lb_node_address_assumed": []}
    warnings = []
    for lb, sub, az in relations.get("lb_subnet", []):
        if (lb, sub) in have or sub not in subnets or lb not in lbs:
            continue
        node = f"lb-node:{lbs[lb][1]}:{az or sub}"
        ip = addr.get((lb, sub))
        if ip is None:
            ip = subnets[sub][2] + 4
            warnings.append(f"{node}: the load balancer's ENI in {sub} is not in the snapshot; its address is assumed "
                            f"to be {ip_text(ip)}")
            extra["lb_node_address_assumed"].append((node,))
        extra["eni"].append((node, sub, subnets[sub][1], 1))
        extra["eni_ip"].append((node, ip))
        extra["eni_sg"].extend((node, g) for g in sgs.get(lb, []))
        extra["lb_eni"].append((lb, node))
        extra["lb_node_derived"].append((lb, node))
        names.setdefault(node, f"{lbs[lb][1]} node in {az or sub}")
    return extra, warnings
