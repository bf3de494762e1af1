using System.Net;
using System.Text.RegularExpressions;
using Federation.Server.Hosting;
using Federation.Server.Metrics;
using Federation.Storage;
using Npgsql;
using YamlDotNet.RepresentationModel;

namespace Federation.Server.Tests.Deploy;

/// <summary>
/// <c>deploy/compose.yaml</c> and <c>deploy/Dockerfile</c>, parsed and matched to the server: no container engine runs
/// here, so these checks are what stands between the files and a silo that would not start or not join.
/// </summary>
public sealed partial class ComposeTests
{
    private static readonly string ComposePath = Path.Combine(DeployFiles.Deploy, "compose.yaml");
    private static readonly string PrometheusConfigPath = Path.Combine(DeployFiles.Deploy, "prometheus", "compose.yml");

    /// <summary>The variable compose takes the coordinator token from (no default: compose refuses to start without it).</summary>
    private const string TokenVariable = "MEGAREGION_BOOTSTRAP_TOKEN";

    /// <summary>What the tests set <see cref="TokenVariable"/> to, as <c>openssl rand -hex 32</c> would.</summary>
    private static readonly string GivenToken = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private static readonly YamlMappingNode Compose = Assert.Single(DeployFiles.LoadYaml(ComposePath));

    /// <summary>The silo services: those that set <c>Federation__Region</c>.</summary>
    private static readonly IReadOnlyList<Silo> Silos = [.. Compose.Map("services").Children
        .Select(s => (Name: ((YamlScalarNode)s.Key).Value!, Service: (YamlMappingNode)s.Value))
        .Where(s => s.Service.Has("environment") && s.Service.Map("environment").Has(DeployFiles.FederationPrefix + "Region"))
        .Select(s => new Silo(s.Name, s.Service, s.Service.Map("environment").Dict()))];

    [Fact]
    public void The_silos_are_the_four_regions_of_the_embedded_megaregion_one_service_each()
    {
        Assert.Equal(DeployFiles.Regions, Silos.Select(s => s.Environment["Federation__Region"]));
        Assert.All(Silos, s => Assert.Equal(s.Environment["Federation__Region"], s.Name));
        Assert.All(Silos, s => Assert.Equal(s.Name, s.Service.Str("hostname")));
    }

    [Fact]
    public void Every_Federation_variable_names_an_option_of_the_server()
    {
        foreach (var silo in Silos)
        {
            DeployFiles.AssertOptionNames($"compose service {silo.Name}", silo.Environment.Keys);
        }
    }

    [Fact]
    public void Each_silos_environment_is_a_configuration_the_server_accepts_for_its_region_on_postgres()
    {
        foreach (var silo in Silos)
        {
            var options = DeployFiles.BindAndValidate($"compose service {silo.Name}", Interpolated(silo.Environment));

            Assert.Equal(StorageKind.Postgres, options.Storage);
            Assert.Equal(silo.Name, DeployFiles.OptionValue(options, "Region"));
        }
    }

    [Fact]
    public void Every_silo_takes_the_coordinator_token_from_MEGAREGION_BOOTSTRAP_TOKEN_which_compose_requires()
    {
        foreach (var silo in Silos)
        {
            var value = silo.Environment[DeployFiles.BootstrapTokenVariable];

            // ${VAR:?message}: no default, so an unset variable stops compose (with the message) instead of starting
            // silos on no token or a token written in this file.
            Assert.Matches(@"^\$\{" + TokenVariable + @":\?[^}]+\}$", value);
            Assert.Equal(GivenToken, DeployFiles.BindAndValidateAuth($"compose service {silo.Name}", Interpolated(silo.Environment)).BootstrapToken);
        }
    }

    [Fact]
    public void Prometheus_scrapes_every_silo_by_service_name_with_the_token_as_a_compose_secret_file()
    {
        var services = Compose.Map("services");
        var prometheus = services.Map("prometheus");
        var secret = Compose.Map("secrets").Map("bootstrap-token");
        var config = Assert.Single(DeployFiles.LoadYaml(PrometheusConfigPath));
        var job = Assert.IsType<YamlMappingNode>(Assert.Single(config.Seq("scrape_configs").Children));
        var authorization = job.Map("authorization");

        // The secret is the variable the silos read, mounted where the config reads it.
        Assert.Equal(TokenVariable, secret.Str("environment"));
        Assert.Equal(["bootstrap-token"], prometheus.Seq("secrets").Scalars());
        Assert.Equal("Bearer", authorization.Str("type"));
        Assert.Equal("/run/secrets/bootstrap-token", authorization.Str("credentials_file"));
        Assert.False(authorization.Has("credentials"), "the token belongs in the secret, not in the config");

        var mounted = prometheus.Seq("command").Scalars().Single(a => a.StartsWith("--config.file=", StringComparison.Ordinal))["--config.file=".Length..];
        Assert.Contains($"./prometheus/compose.yml:{mounted}:ro", prometheus.Seq("volumes").Scalars());
        Assert.Equal(ServerMetrics.ScrapePath, job.Str("metrics_path"));
        Assert.Equal(
            Silos.Select(s => (s.Name, $"{s.Name}:{SiloPorts(s).Http}")),
            job.Seq("static_configs").Children.Select(c => (c.Map("labels").Dict()["silo"], Assert.Single(c.Seq("targets").Scalars()))));
    }

    [Fact]
    public void The_env_file_compose_reads_the_token_from_is_ignored_by_git()
    {
        Assert.Contains("deploy/.env", File.ReadAllLines(Path.Combine(DeployFiles.RepoRoot, ".gitignore")));
    }

    [Fact]
    public void The_silos_form_one_cluster_on_one_schema_of_the_compose_database()
    {
        var postgres = Compose.Map("services").Map("postgres");
        var database = postgres.Map("environment").Dict();
        Assert.Single(Silos.Select(s => s.Environment["Federation__ClusterId"]).Distinct());
        Assert.Single(Silos.Select(s => s.Environment["Federation__Schema"]).Distinct());
        foreach (var silo in Silos)
        {
            var connection = new NpgsqlConnectionStringBuilder(Interpolated(silo.Environment)["Federation__Connection"]);
            Assert.Equal("postgres", connection.Host);
            Assert.Equal(database["POSTGRES_USER"], connection.Username);
            Assert.Equal(database["POSTGRES_DB"], connection.Database);
            Assert.Equal(Interpolate(database["POSTGRES_PASSWORD"]), connection.Password);
        }
    }

    [Fact]
    public void Each_silo_publishes_its_REST_silo_and_gateway_ports_one_to_one_and_no_two_silos_share_a_port()
    {
        var all = new List<int>();
        foreach (var silo in Silos)
        {
            var ports = SiloPorts(silo);
            var published = silo.Service.Seq("ports").Scalars().ToList();

            Assert.Equal([$"{ports.Http}:{ports.Http}", $"{ports.Silo}:{ports.Silo}", $"{ports.Gateway}:{ports.Gateway}"], published);
            all.AddRange([ports.Http, ports.Silo, ports.Gateway]);
        }

        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public void The_silos_ports_are_the_local_scripts_table()
    {
        Assert.Equal(DeployFiles.ScriptPorts(), Silos.Select(s => (s.Name, SiloPorts(s).Http, SiloPorts(s).Silo, SiloPorts(s).Gateway)));
    }

    [Fact]
    public void Each_silo_advertises_its_own_fixed_address_on_the_compose_network()
    {
        var subnet = Assert.Single(Compose.Map("networks").Map("megaregion").Map("ipam").Seq("config").Children).Str("subnet");
        var network = IPNetwork.Parse(subnet);
        var addresses = new List<string>();
        foreach (var silo in Silos)
        {
            var advertised = silo.Environment["Federation__AdvertiseAddress"];
            var attached = silo.Service.Map("networks").Map("megaregion").Str("ipv4_address");

            Assert.Equal(attached, advertised);
            Assert.True(network.Contains(IPAddress.Parse(advertised)), $"{silo.Name}: {advertised} is outside {subnet}");
            Assert.False(IPAddress.IsLoopback(IPAddress.Parse(advertised)), $"{silo.Name}: a loopback address is unreachable from the other containers");
            addresses.Add(advertised);
        }

        addresses.Add(Compose.Map("services").Map("postgres").Map("networks").Map("megaregion").Str("ipv4_address"));
        addresses.Add(Compose.Map("services").Map("prometheus").Map("networks").Map("megaregion").Str("ipv4_address"));
        Assert.Equal(addresses.Count, addresses.Distinct().Count());
    }

    [Fact]
    public void Each_silo_is_healthy_when_its_own_health_endpoint_answers_and_starts_after_a_healthy_database()
    {
        Assert.Equal(["CMD-SHELL", "pg_isready -U federation -d federation"], Compose.Map("services").Map("postgres").Map("healthcheck").Seq("test").Scalars());
        foreach (var silo in Silos)
        {
            var test = silo.Service.Map("healthcheck").Seq("test").Scalars().ToList();

            Assert.Equal("CMD", test[0]);
            Assert.Equal("curl", test[1]);
            Assert.Equal($"http://127.0.0.1:{SiloPorts(silo).Http}/health", test[^1]);

            // Anonymous: /health answers anyone its status, so the check needs no token.
            Assert.DoesNotContain(test, t => t.Contains("Authorization", StringComparison.OrdinalIgnoreCase) || t.Contains(TokenVariable, StringComparison.Ordinal));
            Assert.Equal("service_healthy", silo.Service.Map("depends_on").Map("postgres").Str("condition"));
        }
    }

    [Fact]
    public void Every_silo_runs_the_one_image_built_from_deploy_Dockerfile_at_the_repository_root()
    {
        Assert.Single(Silos.Select(s => s.Service.Str("image")).Distinct());
        foreach (var silo in Silos)
        {
            var build = silo.Service.Map("build");
            var context = Path.GetFullPath(Path.Combine(DeployFiles.Deploy, build.Str("context")));

            Assert.Equal(DeployFiles.RepoRoot, context.TrimEnd(Path.DirectorySeparatorChar));
            Assert.True(File.Exists(Path.Combine(context, build.Str("dockerfile"))), $"{silo.Name}: {build.Str("dockerfile")} is missing");
        }
    }

    [Fact]
    public void The_Dockerfile_copies_every_project_the_server_references_and_runs_the_server()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(DeployFiles.Deploy, "Dockerfile"));
        var copied = dockerfile.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).SkipLast(1))
            .ToHashSet(StringComparer.Ordinal);

        // The restore layer copies the project files alone: a project the server references but the Dockerfile leaves
        // out fails the image's restore.
        foreach (var project in ServerProjectClosure())
        {
            Assert.Contains(project, copied);
        }

        Assert.Contains("ENTRYPOINT [\"dotnet\", \"Federation.Server.dll\"]", dockerfile);
        Assert.Contains(
            $"EXPOSE 8080 {FederationServerOptions.DefaultSiloPort} {FederationServerOptions.DefaultGatewayPort}",
            dockerfile);
        Assert.Contains("ENV ASPNETCORE_URLS=http://+:8080", dockerfile);
    }

    /// <summary>Federation.Server's project file and those it references, directly or not, relative to the repository.</summary>
    private static SortedSet<string> ServerProjectClosure()
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.Combine(DeployFiles.RepoRoot, "src", "Federation.Server", "Federation.Server.csproj")]);
        while (pending.TryPop(out var project))
        {
            if (!found.Add(Path.GetRelativePath(DeployFiles.RepoRoot, project).Replace('\\', '/')))
            {
                continue;
            }

            foreach (Match m in ProjectReference().Matches(File.ReadAllText(project)))
            {
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, m.Groups[1].Value.Replace('\\', '/'))));
            }
        }

        return found;
    }

    private static (int Http, int Silo, int Gateway) SiloPorts(Silo silo) => (
        DeployFiles.UrlPort(silo.Environment["ASPNETCORE_URLS"]),
        int.Parse(silo.Environment["Federation__SiloPort"], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(silo.Environment["Federation__GatewayPort"], System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// A compose environment as compose makes it with only <see cref="TokenVariable"/> set (to <see cref="GivenToken"/>):
    /// <c>${VAR:-default}</c> replaced by its default, <c>${MEGAREGION_BOOTSTRAP_TOKEN:?message}</c> by the token.
    /// </summary>
    private static Dictionary<string, string> Interpolated(Dictionary<string, string> environment) =>
        environment.ToDictionary(e => e.Key, e => Interpolate(e.Value), StringComparer.Ordinal);

    private static string Interpolate(string value)
    {
        var result = DefaultedVariable().Replace(value, m => m.Groups[1].Value);
        result = RequiredVariable().Replace(result, m =>
        {
            Assert.Equal(TokenVariable, m.Groups[1].Value);
            return GivenToken;
        });
        Assert.DoesNotContain("${", result, StringComparison.Ordinal);
        return result;
    }

    [GeneratedRegex(@"\$\{[A-Z_][A-Z0-9_]*:-([^}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex DefaultedVariable();

    [GeneratedRegex(@"\$\{([A-Z_][A-Z0-9_]*):\?[^}]*\}", RegexOptions.CultureInvariant)]
    private static partial Regex RequiredVariable();

    [GeneratedRegex("<ProjectReference Include=\"([^\"]+)\"", RegexOptions.CultureInvariant)]
    private static partial Regex ProjectReference();

    private sealed record Silo(string Name, YamlMappingNode Service, Dictionary<string, string> Environment);
}
