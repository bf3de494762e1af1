using Federation.Server.Hosting;
using Federation.Storage;
using Npgsql;
using YamlDotNet.RepresentationModel;

namespace Federation.Server.Tests.Deploy;

/// <summary>
/// The manifests of <c>deploy/kubernetes</c>, parsed and matched to the server and to what Orleans' Kubernetes hosting
/// (<c>Microsoft.Orleans.Hosting.Kubernetes</c>) reads and does. No cluster runs here: these checks are what stands
/// between the manifests and a silo that would not start, not join, or not be allowed to watch its peers.
/// </summary>
public sealed class KubernetesManifestTests
{
    private const string Namespace = "megaregion";
    private const string ConnectionSecret = "megaregion-postgres";
    private const string TokenSecret = "megaregion-bootstrap-token";
    private const string RegionLabel = "megaregion.example/region";

    /// <summary>The pod labels Orleans' Kubernetes hosting selects the cluster's pods by (<c>KubernetesHostingOptions</c>).</summary>
    private const string ServiceIdLabel = "orleans/serviceId";
    private const string ClusterIdLabel = "orleans/clusterId";

    /// <summary>
    /// What Orleans' Kubernetes hosting does with pods (<c>KubernetesClusterAgent</c>): reads its own (get), labels it
    /// with the service and cluster ids (patch), lists and watches the cluster's pods (list, watch) and deletes the pod
    /// of a silo declared dead (delete).
    /// </summary>
    private static readonly string[] OrleansPodVerbs = ["get", "list", "watch", "patch", "delete"];

    private static readonly IReadOnlyList<string> ManifestFiles = [.. Directory.GetFiles(DeployFiles.Kubernetes, "*.yaml")
        .Where(f => Path.GetFileName(f) != "kustomization.yaml")
        .Order(StringComparer.Ordinal)];

    private static readonly IReadOnlyList<(string File, YamlMappingNode Resource)> Resources = [.. ManifestFiles
        .SelectMany(f => DeployFiles.LoadYaml(f).Select(r => (Path.GetFileName(f), r)))];

    private static readonly IReadOnlyList<YamlMappingNode> Deployments = [.. OfKind("Deployment")];

    [Fact]
    public void The_kustomization_lists_every_manifest_of_the_folder()
    {
        var kustomization = Assert.Single(DeployFiles.LoadYaml(Path.Combine(DeployFiles.Kubernetes, "kustomization.yaml")));

        Assert.Equal(ManifestFiles.Select(Path.GetFileName).Order(StringComparer.Ordinal), kustomization.Seq("resources").Scalars().Order(StringComparer.Ordinal));
        Assert.Equal(Namespace, kustomization.Str("namespace"));
        Assert.Equal("federation-server", Assert.Single(kustomization.Seq("images").Children).Str("name"));
    }

    [Fact]
    public void Every_resource_is_in_the_megaregion_namespace()
    {
        Assert.Equal(Namespace, Assert.Single(OfKind("Namespace")).Map("metadata").Str("name"));
        foreach (var (file, resource) in Resources.Where(r => r.Resource.Str("kind") != "Namespace"))
        {
            Assert.True(Namespace == resource.Map("metadata").StrOrNull("namespace"), $"{file}: {resource.Str("kind")} {Name(resource)} is not in namespace {Namespace}");
        }
    }

    [Fact]
    public void One_deployment_per_region_of_the_embedded_megaregion_runs_one_silo_on_that_regions_nodes()
    {
        Assert.Equal(DeployFiles.Regions.Order(StringComparer.Ordinal), Deployments.Select(Region).Order(StringComparer.Ordinal));
        foreach (var deployment in Deployments)
        {
            var region = Region(deployment);
            var spec = deployment.Map("spec");
            var podLabels = spec.Map("template").Map("metadata").Map("labels").Dict();
            var selector = spec.Map("selector").Map("matchLabels").Dict();

            Assert.Equal("1", spec.Str("replicas"));
            Assert.Equal(region, deployment.Map("metadata").Map("labels").Dict()[RegionLabel]);
            Assert.Equal(region, selector[RegionLabel]);
            Assert.All(selector, l => Assert.Equal(l.Value, podLabels[l.Key]));
            Assert.Equal(region, spec.Map("template").Map("spec").Map("nodeSelector").Dict()[RegionLabel]);
            Assert.Equal(region, Environment(deployment)["Federation__Region"]);
            Assert.Equal($"silo-{region}", Name(deployment));
        }
    }

    [Fact]
    public void Every_Federation_variable_names_an_option_of_the_server()
    {
        foreach (var deployment in Deployments)
        {
            DeployFiles.AssertOptionNames($"Deployment {Name(deployment)}", Environment(deployment).Keys);
        }
    }

    [Fact]
    public void Each_silos_environment_with_the_secrets_connection_is_a_configuration_the_server_accepts()
    {
        foreach (var deployment in Deployments)
        {
            var options = DeployFiles.BindAndValidate($"Deployment {Name(deployment)}", Resolved(deployment));

            Assert.Equal(StorageKind.Postgres, options.Storage);
            Assert.Equal(Region(deployment), DeployFiles.OptionValue(options, "Region"));
            Assert.Equal(bool.TrueString, DeployFiles.OptionValue(options, "Kubernetes"));
        }
    }

    [Fact]
    public void The_Orleans_labels_the_ORLEANS_variables_and_the_servers_cluster_id_name_one_service_and_one_cluster()
    {
        foreach (var deployment in Deployments)
        {
            var env = Environment(deployment);
            var podLabels = deployment.Map("spec").Map("template").Map("metadata").Map("labels").Dict();

            Assert.Equal(FederationServer.ServiceId, env["ORLEANS_SERVICE_ID"]);
            Assert.Equal(env["ORLEANS_SERVICE_ID"], podLabels[ServiceIdLabel]);
            Assert.Equal(env["ORLEANS_CLUSTER_ID"], podLabels[ClusterIdLabel]);
            Assert.Equal(env["ORLEANS_CLUSTER_ID"], env["Federation__ClusterId"]);
        }

        Assert.Single(Deployments.Select(d => Environment(d)["ORLEANS_CLUSTER_ID"]).Distinct());
        Assert.Single(Deployments.Select(d => Environment(d)["Federation__Schema"]).Distinct());
    }

    [Fact]
    public void Each_silo_knows_its_pod_and_the_IP_it_advertises_from_the_downward_API()
    {
        foreach (var deployment in Deployments)
        {
            var env = Container(deployment).Seq("env").Children.Cast<YamlMappingNode>().ToList();
            string FieldOf(string name) => env.Single(e => e.Str("name") == name).Map("valueFrom").Map("fieldRef").Str("fieldPath");

            Assert.Equal("metadata.name", FieldOf("POD_NAME"));
            Assert.Equal("metadata.namespace", FieldOf("POD_NAMESPACE"));
            Assert.Equal("status.podIP", FieldOf("POD_IP"));
            Assert.Equal("true", Environment(deployment)["Federation__Kubernetes"]);

            // Under Kubernetes hosting the silo advertises POD_IP; an address set beside it would only mislead.
            Assert.False(Environment(deployment).ContainsKey("Federation__AdvertiseAddress"), $"{Name(deployment)}: the silo advertises POD_IP");
        }
    }

    [Fact]
    public void The_container_ports_are_the_silos_configured_ports_and_the_probes_ask_its_health_endpoint()
    {
        foreach (var deployment in Deployments)
        {
            var container = Container(deployment);
            var env = Environment(deployment);
            var ports = container.Seq("ports").Children.ToDictionary(p => p.Str("name"), p => p.Str("containerPort"), StringComparer.Ordinal);

            Assert.Equal(env["Federation__SiloPort"], ports["silo"]);
            Assert.Equal(env["Federation__GatewayPort"], ports["gateway"]);
            Assert.Equal(DeployFiles.UrlPort(env["ASPNETCORE_URLS"]).ToString(System.Globalization.CultureInfo.InvariantCulture), ports["http"]);
            Assert.Equal(3, ports.Count);
            foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
            {
                var get = container.Map(probe).Map("httpGet");

                Assert.Equal("/health", get.Str("path"));
                Assert.Equal("http", get.Str("port"));
            }
        }
    }

    [Fact]
    public void The_connection_string_comes_from_the_secret_and_nowhere_else()
    {
        Assert.Equal([TokenSecret, ConnectionSecret], OfKind("Secret").Select(Name).Order(StringComparer.Ordinal));
        var secret = Secret(ConnectionSecret);
        foreach (var deployment in Deployments)
        {
            var reference = SecretReference(deployment, "Federation__Connection", "the connection string (it holds a password)");

            Assert.Equal(Name(secret), reference.Str("name"));
            Assert.True(secret.Map("stringData").Has(reference.Str("key")), $"the Secret has no key '{reference.Str("key")}'");
        }

        var placeholder = new NpgsqlConnectionStringBuilder(secret.Map("stringData").Str("connection"));
        Assert.False(string.IsNullOrEmpty(placeholder.Host));
        Assert.False(string.IsNullOrEmpty(placeholder.Database));
    }

    [Fact]
    public void Every_silo_takes_the_coordinator_token_from_its_secret_whose_placeholder_the_server_refuses()
    {
        var secret = Secret(TokenSecret);
        foreach (var deployment in Deployments)
        {
            var reference = SecretReference(deployment, DeployFiles.BootstrapTokenVariable, "the coordinator token");

            Assert.Equal(TokenSecret, reference.Str("name"));
            Assert.True(secret.Map("stringData").Has(reference.Str("key")), $"the Secret {TokenSecret} has no key '{reference.Str("key")}'");
        }

        // Applied unchanged, the manifests start no silo on a token anyone can read here: the server refuses the
        // placeholder at start, and accepts what the comment says to generate.
        var key = SecretReference(Deployments[0], DeployFiles.BootstrapTokenVariable, "the coordinator token").Str("key");
        Assert.NotNull(DeployFiles.BootstrapTokenRefusal(secret.Map("stringData").Str(key)));
        var generated = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        foreach (var deployment in Deployments)
        {
            var env = Resolved(deployment);
            env[DeployFiles.BootstrapTokenVariable] = generated;
            Assert.Equal(generated, DeployFiles.BindAndValidateAuth($"Deployment {Name(deployment)}", env).BootstrapToken);
        }
    }

    [Fact]
    public void The_probes_send_no_token()
    {
        // GET /health answers anyone its status: a probe with a header would need the token in the manifest.
        foreach (var deployment in Deployments)
        {
            foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
            {
                Assert.False(Container(deployment).Map(probe).Map("httpGet").Has("httpHeaders"), $"{Name(deployment)}: {probe} sends headers");
            }
        }
    }

    [Fact]
    public void Prometheus_in_the_cluster_scrapes_the_silos_pods_with_the_token_of_the_secret_as_a_file()
    {
        var config = Assert.Single(DeployFiles.LoadYaml(Path.Combine(DeployFiles.Deploy, "prometheus", "kubernetes.yml")));
        var job = Assert.IsType<YamlMappingNode>(Assert.Single(config.Seq("scrape_configs").Children));
        var authorization = job.Map("authorization");
        var key = SecretReference(Deployments[0], DeployFiles.BootstrapTokenVariable, "the coordinator token").Str("key");

        Assert.Equal(Federation.Server.Metrics.ServerMetrics.ScrapePath, job.Str("metrics_path"));
        Assert.Equal("Bearer", authorization.Str("type"));

        // Where the Prometheus operator mounts a Secret named in spec.secrets: /etc/prometheus/secrets/<name>/<key>.
        Assert.Equal($"/etc/prometheus/secrets/{TokenSecret}/{key}", authorization.Str("credentials_file"));
        Assert.False(authorization.Has("credentials"), "the token belongs in the Secret, not in the config");

        var discovery = Assert.Single(job.Seq("kubernetes_sd_configs").Children);
        Assert.Equal("pod", discovery.Str("role"));
        Assert.Equal([Namespace], discovery.Map("namespaces").Seq("names").Scalars());
        var keeps = job.Seq("relabel_configs").Children.Where(r => r.StrOrNull("action") == "keep")
            .ToDictionary(r => Assert.Single(r.Seq("source_labels").Scalars()), r => r.Str("regex"), StringComparer.Ordinal);
        Assert.All(Deployments, d => Assert.Equal(keeps["__meta_kubernetes_pod_label_app_kubernetes_io_name"], d.Map("spec").Map("template").Map("metadata").Map("labels").Dict()["app.kubernetes.io/name"]));
        Assert.All(Deployments, d => Assert.Contains(Container(d).Seq("ports").Children, p => p.Str("name") == keeps["__meta_kubernetes_pod_container_port_name"]));
    }

    [Fact]
    public void The_silos_service_account_may_do_with_pods_what_Orleans_Kubernetes_hosting_does()
    {
        var account = Assert.Single(OfKind("ServiceAccount"));
        var role = Assert.Single(OfKind("Role"));
        var binding = Assert.Single(OfKind("RoleBinding"));
        var podRules = role.Seq("rules").Children
            .Where(r => r.Seq("apiGroups").Scalars().Contains("") && r.Seq("resources").Scalars().Contains("pods"))
            .ToList();

        foreach (var verb in OrleansPodVerbs)
        {
            Assert.True(podRules.Any(r => r.Seq("verbs").Scalars().Contains(verb)), $"the Role does not grant '{verb}' on pods");
        }

        Assert.Equal("Role", binding.Map("roleRef").Str("kind"));
        Assert.Equal(Name(role), binding.Map("roleRef").Str("name"));
        var subject = Assert.Single(binding.Seq("subjects").Children);
        Assert.Equal("ServiceAccount", subject.Str("kind"));
        Assert.Equal(Name(account), subject.Str("name"));
        Assert.Equal(Namespace, subject.Str("namespace"));
        Assert.All(Deployments, d => Assert.Equal(Name(account), d.Map("spec").Map("template").Map("spec").Str("serviceAccountName")));
    }

    [Fact]
    public void Each_region_has_a_service_for_the_REST_API_of_its_silo()
    {
        var services = OfKind("Service").ToDictionary(Name, StringComparer.Ordinal);

        Assert.Equal(DeployFiles.Regions.Order(StringComparer.Ordinal), services.Keys.Order(StringComparer.Ordinal));
        foreach (var deployment in Deployments)
        {
            var service = services[Region(deployment)];
            var selector = service.Map("spec").Map("selector").Dict();
            var podLabels = deployment.Map("spec").Map("template").Map("metadata").Map("labels").Dict();
            var port = Assert.Single(service.Map("spec").Seq("ports").Children);

            Assert.Equal(Region(deployment), selector[RegionLabel]);
            Assert.All(selector, l => Assert.Equal(l.Value, podLabels[l.Key]));
            Assert.Equal("http", port.Str("targetPort"));
        }
    }

    private static IEnumerable<YamlMappingNode> OfKind(string kind) =>
        Resources.Where(r => r.Resource.Str("kind") == kind).Select(r => r.Resource);

    private static string Name(YamlMappingNode resource) => resource.Map("metadata").Str("name");

    private static string Region(YamlMappingNode deployment) => deployment.Map("metadata").Map("labels").Dict()[RegionLabel];

    private static YamlMappingNode Secret(string name) => OfKind("Secret").Single(s => Name(s) == name);

    /// <summary>The <c>secretKeyRef</c> of the container's variable <paramref name="variable"/>, which must have no literal value.</summary>
    private static YamlMappingNode SecretReference(YamlMappingNode deployment, string variable, string what)
    {
        var entry = Container(deployment).Seq("env").Children.Single(e => e.Str("name") == variable);
        Assert.False(entry.Has("value"), $"{Name(deployment)}: {what} belongs in a Secret");
        return entry.Map("valueFrom").Map("secretKeyRef");
    }

    private static YamlMappingNode Container(YamlMappingNode deployment) =>
        Assert.IsType<YamlMappingNode>(Assert.Single(deployment.Map("spec").Map("template").Map("spec").Seq("containers").Children));

    /// <summary>The container's variables with a literal value (those from the downward API or a Secret are left out).</summary>
    private static Dictionary<string, string> Environment(YamlMappingNode deployment) =>
        Container(deployment).Seq("env").Children
            .Where(e => e.Has("value"))
            .ToDictionary(e => e.Str("name"), e => e.Str("value"), StringComparer.Ordinal);

    /// <summary>
    /// The container's environment as a pod sees it, with the connection string from the Secret (not the token: its
    /// placeholder is meant to be refused).
    /// </summary>
    private static Dictionary<string, string> Resolved(YamlMappingNode deployment)
    {
        var env = Environment(deployment);
        env["Federation__Connection"] = Secret(ConnectionSecret).Map("stringData").Str("connection");
        return env;
    }
}
