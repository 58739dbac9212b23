"""Elastic Load Balancing v2 listeners and listener rules: describe-listeners and describe-rules JSON -> base relations.

Part of the ELBv2 importer (:mod:`reasoner.facts.elbv2` registers these handlers and documents the encoding):

* ``LoadBalancerListeners`` -> ``listener``, ``listener_action``, ``action_forward``, ``action_redirect``,
  ``action_fixed_response``, ``lb_listeners_listed``
* ``LoadBalancerListenerRules`` -> ``listener_rule``, ``rule_condition``, ``rule_source_ip``, the rule's actions,
  ``listener_rules_listed``

Malformed input raises :class:`reasoner.errors.FactsError` with the file and JSON path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reasoner.facts.elb_state import protocol as _protocol, state as _state
from reasoner.facts.fields import (flag as _flag, integer as _int, listed as _listed, opt_int as _opt_int,
                                   strings as _strings, text as _text, wrapped as _wrapped)

if TYPE_CHECKING:  # annotations only
    from reasoner.facts.context import Ctx as _Ctx

#: Listener rule priority standing for ``"default"``: above the API's maximum (50000).
DEFAULT_RULE_PRIORITY = 50001

_CONDITION_CONFIGS = {
    "host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig",
    "http-request-method": "HttpRequestMethodConfig", "source-ip": "SourceIpConfig",
    "http-header": "HttpHeaderConfig", "query-string": "QueryStringConfig",
}


def _actions(c: "_Ctx", owner: str, actions: list[tuple[str, Any]]) -> None:
    for i, (ap, a) in enumerate(actions):
        kind = c.req_str(a, "Type", ap)
        c.add("listener_action", owner, _opt_int(c, a, "Order", ap, i + 1, "action order"), kind)
        if kind == "forward":
            config = c.opt(a, "ForwardConfig", ap, {})
            groups = c.items(config, "TargetGroups", f"{ap}.ForwardConfig")
            for gp, g in groups:
                c.add("action_forward", owner, c.req_str(g, "TargetGroupArn", gp), _opt_int(c, g, "Weight", gp, 1, "weight"))
            if not groups:
                c.add("action_forward", owner, c.req_str(a, "TargetGroupArn", ap), 1)
        elif kind == "redirect":
            rc, rp = c.req(a, "RedirectConfig", ap), f"{ap}.RedirectConfig"
            c.add("action_redirect", owner, _text(c, rc, "Protocol", rp, "#{protocol}"), _text(c, rc, "Port", rp, "#{port}"),
                  _text(c, rc, "Host", rp, "#{host}"), c.req_str(rc, "StatusCode", rp))
        elif kind == "fixed-response":
            fc, fp = c.req(a, "FixedResponseConfig", ap), f"{ap}.FixedResponseConfig"
            c.add("action_fixed_response", owner, _int(c, c.req(fc, "StatusCode", fp), f"{fp}.StatusCode", "status code"))


def load_balancer_listeners(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    """Wrapped entries ``{LoadBalancerArn, Listeners: [...]}`` (one DescribeListeners answer per load balancer, as
    `reason collect` writes them), or plain listener items (``ListenerArn``, each naming its ``LoadBalancerArn``), as
    ``aws elbv2 describe-listeners`` prints them. ``lb_listeners_listed`` records whose answers the file holds: each
    wrapped entry's load balancer (even with no listener), and in the plain form each load balancer some listener
    names (taken as its whole answer); a load balancer the file does not name at all was not asked."""
    st = _state(c.acc)

    def is_listener(w: Any) -> bool:
        return isinstance(w, dict) and "Listeners" not in w and "ListenerArn" in w

    wrapped = [(p, w) for p, w in items if not is_listener(w)]
    plain = [(p, w) for p, w in items if is_listener(w)]
    found = [(c.req_str(w, "LoadBalancerArn", p), p, w) for p, w in plain]
    found += _wrapped(c, wrapped, "LoadBalancerArn", "Listeners", "LoadBalancerArn")
    _listed(c, wrapped, "LoadBalancerArn", "lb_listeners_listed")
    for lb, _, _ in found:
        c.add("lb_listeners_listed", lb)
    for lb, lp, listener in found:
        arn = c.req_str(listener, "ListenerArn", lp)
        if ":loadbalancer/gwy/" in lb and "Port" not in listener and "Protocol" not in listener:
            # "You cannot specify a protocol or port when you create a listener for a Gateway Load Balancer"
            # (gateway/gateway-listeners.html): port 0, protocol "" (Gateway Load Balancers are not modelled)
            port, proto = 0, ""
        else:
            port = _int(c, c.req(listener, "Port", lp), f"{lp}.Port")
            proto = _protocol(c, listener, "Protocol", lp, required=True)
        c.add("listener", arn, lb, port, proto)
        st.listeners[arn] = (lb, proto, port)
        _actions(c, arn, c.req_items(listener, "DefaultActions", lp))


def _condition_values(c: "_Ctx", cond: Any, field_name: str, cp: str) -> list[tuple[str, str]]:
    """A rule condition's values, as given (``Values``) or as regular expressions (``RegexValues``, written ``~REGEX``):
    "When using host-header, http-header and path-pattern conditions you can use value matching or regex matching"
    (APIReference/API_HostHeaderConditionConfig.html, API_PathPatternConditionConfig.html,
    API_HttpHeaderConditionConfig.html: ``RegexValues``). Read in the field's config and at the condition's top level."""
    key = _CONDITION_CONFIGS.get(field_name)
    config = c.opt(cond, key, cp) if key else None
    top = _strings(c, cond, "Values", cp) + [(p, f"~{v}") for p, v in _strings(c, cond, "RegexValues", cp)]
    if config is None:
        return top
    kp = f"{cp}.{key}"
    if field_name == "http-header":
        header = c.req_str(config, "HttpHeaderName", kp)
        given = _strings(c, config, "Values", kp) + [(p, f"~{v}") for p, v in _strings(c, config, "RegexValues", kp)]
        return top + [(p, f"{header}:{v}") for p, v in given]
    if field_name == "query-string":
        out = []
        for qp, q in c.items(config, "Values", kp):
            k, v = _text(c, q, "Key", qp), c.req_str(q, "Value", qp)
            out.append((qp, f"{k}={v}" if k else v))
        return top + out
    return top + _strings(c, config, "Values", kp) + [(p, f"~{v}") for p, v in _strings(c, config, "RegexValues", kp)]


def load_balancer_listener_rules(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    st = _state(c.acc)
    found = _wrapped(c, items, "ListenerArn", "Rules")
    _listed(c, items, "ListenerArn", "listener_rules_listed")
    for listener, rp, r in found:
        rule = c.req_str(r, "RuleArn", rp)
        text = _text(c, r, "Priority", rp)
        is_default = _flag(c, r, "IsDefault", rp, text == "default")
        if text == "default" or (not text and is_default):
            priority = DEFAULT_RULE_PRIORITY
        else:
            priority = _int(c, c.req(r, "Priority", rp), f"{rp}.Priority", "priority")
        c.add("listener_rule", listener, rule, priority, is_default)
        st.rules.append((listener, rule, priority, is_default))
        for cp, cond in c.req_items(r, "Conditions", rp):
            field_name = c.req_str(cond, "Field", cp)
            values = _condition_values(c, cond, field_name, cp)
            if not values and field_name != "source-ip":
                # a condition whose values this importer does not read (a shape it does not know) still conditions the
                # rule: kept with the value "" so the rule is never read as unconditional (rule_other_condition)
                c.add("rule_condition", rule, field_name, "")
            for vp, value in values:
                c.add("rule_condition", rule, field_name, value)
                if field_name == "source-ip":  # either family, on the one line of addresses
                    lo, hi, _ = c.cidr(value, vp, "ipv6" if ":" in value else "ipv4")
                    c.add("rule_source_ip", rule, lo, hi)
        _actions(c, rule, c.req_items(r, "Actions", rp))

