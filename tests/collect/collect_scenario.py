"""The ALB health-check scenario, built with boto3 against a moto server (helpers for tests/collect).

VPC 10.0.0.0/16 with two public subnets (10.0.1.0/24, 10.0.2.0/24, routed to an internet gateway)
and one private subnet (10.0.11.0/24); ``alb-sg`` admits tcp 80 from anywhere and has its default
egress rule revoked; ``task-sg`` admits ``alb-sg`` on tcp 8000; an internet-facing ALB in the public
subnets with a listener on 80 forwarding to an ``ip`` target group on 8000; an ECS cluster with an
awsvpc (Fargate) task in the private subnet.

Moto gaps worked around here, in the scenario and not in `reason`:

* moto's load balancers have no ENIs.  The reasoner will derive load balancer nodes from
  ``DescribeLoadBalancers`` (subnets, security groups) later; until then an ENI carrying ``alb-sg``
  in the first public subnet, tagged ``Name=alb-eni``, stands in as the ALB node the health check
  leaves from.
* moto gives the ECS task an ENI with a random 10.x.y.z address outside its subnet, so an ENI in the
  private subnet with ``task-sg``, tagged ``Name=task-eni``, stands in for the task; its address is
  the registered ``ip`` target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3


@dataclass
class Scenario:
    vpc: str
    public: list[str]
    private: str
    alb_sg: str
    task_sg: str
    alb_eni: str
    task_eni: str
    task_ip: str
    lb_arn: str
    tg_arn: str
    listener_arn: str
    cluster_arn: str


def _tag(name: str, kind: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def build(session: boto3.Session, region: str = "us-east-1") -> Scenario:
    ec2 = session.client("ec2", region_name=region)
    elbv2 = session.client("elbv2", region_name=region)
    ecs = session.client("ecs", region_name=region)

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=_tag("app-vpc", "vpc"))["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # what Fargate tasks usually have
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = [ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az,
                                TagSpecifications=_tag(name, "subnet"))["Subnet"]["SubnetId"]
              for name, cidr, az in (("public-a", "10.0.1.0/24", f"{region}a"), ("public-b", "10.0.2.0/24", f"{region}b"))]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.11.0/24", AvailabilityZone=f"{region}a",
                                TagSpecifications=_tag("private-a", "subnet"))["Subnet"]["SubnetId"]
    rtb = ec2.create_route_table(VpcId=vpc, TagSpecifications=_tag("public-rt", "route-table"))["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for subnet in public:
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    # a gateway route table of the internet gateway holding its local route only (changes no path):
    # the collector keeps its edge association, the import reads it as rtb_gateway
    edge = ec2.create_route_table(VpcId=vpc, TagSpecifications=_tag("edge-rt", "route-table"))["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=edge, GatewayId=igw)

    alb_sg = ec2.create_security_group(GroupName="alb-sg", Description="ALB", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.revoke_security_group_egress(GroupId=alb_sg, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    task_sg = ec2.create_security_group(GroupName="task-sg", Description="tasks", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=task_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "UserIdGroupPairs": [{"GroupId": alb_sg}]}])

    # Stand-ins (see the module docstring): the ALB node and the task's ENI.
    alb_eni = ec2.create_network_interface(SubnetId=public[0], Groups=[alb_sg], PrivateIpAddress="10.0.1.10",
                                           Description="stand-in ALB node",
                                           TagSpecifications=_tag("alb-eni", "network-interface"))["NetworkInterface"]
    task_eni = ec2.create_network_interface(SubnetId=private, Groups=[task_sg], PrivateIpAddress="10.0.11.20",
                                            Description="stand-in task ENI",
                                            TagSpecifications=_tag("task-eni", "network-interface"))["NetworkInterface"]
    # Attached, as a load balancer's or a task's interface is ("in-use"): an interface attached to nothing (Status
    # "available") neither sends nor takes a connection (rules/route_explanations.dl eni_detached_end).
    for eni, subnet, ip in ((alb_eni, public[0], "10.0.1.50"), (task_eni, private, "10.0.11.50")):
        host = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
                                 PrivateIpAddress=ip)["Instances"][0]["InstanceId"]
        ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=host, DeviceIndex=1)

    lb = elbv2.create_load_balancer(Name="web", Subnets=public, SecurityGroups=[alb_sg], Scheme="internet-facing",
                                    Type="application")["LoadBalancers"][0]
    tg = elbv2.create_target_group(Name="task-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip",
                                   HealthCheckPath="/health")["TargetGroups"][0]
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
    elbv2.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": task_eni["PrivateIpAddress"], "Port": 8000}])

    cluster = ecs.create_cluster(clusterName="prod", tags=[{"key": "team", "value": "platform"}])["cluster"]["clusterArn"]
    ecs.register_task_definition(family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                                 memory="512", containerDefinitions=[{"name": "web", "image": "web:1", "essential": True, "cpu": 256, "memory": 512,
                                                                      "portMappings": [{"containerPort": 8000}]}])
    ecs.run_task(cluster=cluster, taskDefinition="web", launchType="FARGATE", count=1, tags=[{"key": "tier", "value": "app"}],
                 networkConfiguration={
        "awsvpcConfiguration": {"subnets": [private], "securityGroups": [task_sg], "assignPublicIp": "DISABLED"}})
    _extras(ec2, vpc, public, private)
    return Scenario(vpc, public, private, alb_sg, task_sg, alb_eni["NetworkInterfaceId"], task_eni["NetworkInterfaceId"],
                    task_eni["PrivateIpAddress"], lb["LoadBalancerArn"], tg["TargetGroupArn"], listener["ListenerArn"],
                    cluster)


def _extras(ec2: Any, vpc: str, public: list[str], private: str) -> None:
    """Resources the query does not need but the collector must fetch: a transit gateway with a route
    table, a VPC attachment, a static route and a propagation; a managed prefix list; an Elastic IP
    and a NAT gateway; an S3 gateway endpoint; a tagged SSM interface endpoint (its ENI); a peered VPC (the
    instances are the stand-ins' hosts, above)."""
    tgw = ec2.create_transit_gateway(Description="hub")["TransitGateway"]["TransitGatewayId"]
    att = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[private])[
        "TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    # the attachment is associated with the gateway's default table, the table this scenario uses: AWS refuses a second
    # association ("You can associate only one route table with an attachment"; moto would keep both, which import refuses)
    rtb = ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0]["Options"]["AssociationDefaultRouteTableId"]
    ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=rtb, TransitGatewayAttachmentId=att)
    ec2.create_transit_gateway_route(DestinationCidrBlock="192.168.0.0/16", TransitGatewayRouteTableId=rtb,
                                     TransitGatewayAttachmentId=att)
    ec2.create_managed_prefix_list(PrefixListName="office", AddressFamily="IPv4", MaxEntries=5,
                                   Entries=[{"Cidr": "203.0.113.0/24", "Description": "office"}])
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=public[1], AllocationId=eip)
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
                            RouteTableIds=[main["RouteTableId"]])
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.ssm", VpcEndpointType="Interface",
                            SubnetIds=[private], TagSpecifications=[{"ResourceType": "vpc-endpoint",
                                                                     "Tags": [{"Key": "team", "Value": "net"}]}])
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=other)


def fix(session: boto3.Session, sc: Scenario, region: str = "us-east-1") -> None:
    """The fix: let the ALB's security group send tcp 8000 to the task's security group."""
    session.client("ec2", region_name=region).authorize_security_group_egress(GroupId=sc.alb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "UserIdGroupPairs": [{"GroupId": sc.task_sg}]}])
