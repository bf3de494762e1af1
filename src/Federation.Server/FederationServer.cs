using Federation.Grains.Admission;
using Federation.Grains.Hosting;
using Federation.Server.Api;
using Federation.Server.Auth;
using Federation.Server.WebConsole;
using Federation.Server.Demo;
using Federation.Server.Hosting;
using Federation.Server.Live;
using Federation.Server.Simulation;
using Federation.Server.Metrics;
using Federation.Storage;
using Federation.Storage.Hosting;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using System.Net;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Storage;

namespace Federation.Server;

/// <summary>
/// The composition root: an Orleans silo (<c>UseOrleans</c> on the host) with the domain grains and the store, the
/// REST API, the web console at <c>/</c>, the Orleans dashboard at <c>/dashboard</c>, <c>/health</c>, <c>/metrics</c> and the OpenAPI document.
/// <c>Program.cs</c> only calls <see cref="CreateBuilder"/> and <see cref="Build"/>; tests and benchmarks do the same
/// to host the server in process.
/// </summary>
public static class FederationServer
{
    /// <summary>Where the server listens unless <c>--urls</c> (or ASPNETCORE_URLS) says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Where the Orleans dashboard is mapped.</summary>
    public const string DashboardPath = "/dashboard";

    /// <summary>The Orleans service and cluster id of the embedded silo (rows in a shared database are keyed by the service id).</summary>
    public const string ServiceId = "megaregion";

    /// <summary>The command-line flags of the server, mapped to the <c>Federation</c> configuration section.</summary>
    public static readonly IReadOnlyDictionary<string, string> Flags = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--storage"] = "Federation:Storage",
        ["--connection"] = "Federation:Connection",
        ["--schema"] = "Federation:Schema",
        ["--megaregion"] = "Federation:Megaregion",
        ["--time-scale"] = "Federation:TimeScale",
        ["--silo-port"] = "Federation:SiloPort",
        ["--gateway-port"] = "Federation:GatewayPort",
        ["--region"] = "Federation:Region",
        ["--cluster-id"] = "Federation:ClusterId",
        ["--advertise-address"] = "Federation:AdvertiseAddress",
        ["--demo-rate"] = "Federation:DemoJobsPerSecond",
        ["--demo-seed"] = "Federation:DemoSeed",
    };

    public const string Usage =
        "usage: Federation.Server [--urls http://127.0.0.1:5080] [--storage sqlite|memory|postgres] [--connection <file or connection string>]\n" +
        "                         [--schema <postgres schema>] [--megaregion <file.json>] [--time-scale N] [--demo] [--demo-rate jobs/s] [--demo-seed n]\n" +
        "                         [--silo-port 11111] [--gateway-port 30000]\n" +
        "                         [--region <id> [--cluster-id megaregion] [--advertise-address 127.0.0.1]]\n" +
        "  sqlite (default): --connection is the job file (default data/federation.db) or \"Data Source=...\"; Orleans' grain state\n" +
        "                    is kept beside it (federation.orleans.db).\n" +
        "  postgres: --connection \"Host=db;Port=5432;Username=federation;Password=...;Database=federation\" is required;\n" +
        "            keep the password off the command line: Federation__Connection in the environment or appsettings.json.\n" +
        "  --region <id>: one silo of a cluster, one silo per region; joins the cluster --cluster-id through PostgreSQL membership\n" +
        "            (needs --storage postgres). Other silos reach it at --advertise-address:--silo-port; Orleans clients at --gateway-port.\n" +
        "Every option can also be set in appsettings.json or the environment, under Federation (e.g. Federation__Storage=memory).";

    /// <summary>
    /// A builder with every service registered. Throws <see cref="OptionsValidationException"/> naming a bad
    /// option and <see cref="Scheduling.MegaregionFormatException"/> naming a bad field of the megaregion file.
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="configure">Applied after configuration is bound (tests, benchmarks).</param>
    /// <param name="clock">The wall clock jobs execute on, scaled by the time scale; <see cref="TimeProvider.System"/> when null.</param>
    public static WebApplicationBuilder CreateBuilder(string[] args, Action<FederationServerOptions>? configure = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = TranslateArgs(args) });

        // Defaults below every other source, so appsettings.json, the environment and the command line override them:
        // one log line per request is noise next to the grains' own lines, Npgsql logs every statement at Information,
        // and Orleans logs each placement's resilience pipeline (Polly) at Information.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:Npgsql"] = "Warning",
                ["Logging:LogLevel:Polly"] = "Warning",
                ["Logging:LogLevel:Orleans"] = "Warning",
                ["Logging:LogLevel:Orleans.Hosting.SiloHostedService"] = "Information",
            },
        });
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // The binder would refuse an unknown store with its own wording (and accept a number): say what is accepted.
        if (builder.Configuration[$"{FederationServerOptions.SectionName}:{nameof(FederationServerOptions.Storage)}"] is { } storage
            && !FederationServerOptionsValidator.IsStorageName(storage))
        {
            throw new OptionsValidationException(FederationServerOptions.SectionName, typeof(FederationServerOptions), [FederationServerOptionsValidator.UnknownStorage(storage)]);
        }

        var options = new FederationServerOptions();
        try
        {
            builder.Configuration.GetSection(FederationServerOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // The binder's message names the key and the value ("... 'oracle' at 'Federation:Storage' ..."): keep it, as a validation failure.
            throw new OptionsValidationException(FederationServerOptions.SectionName, typeof(FederationServerOptions), [e.Message + (e.InnerException is { } inner ? " " + inner.Message : "")]);
        }
        configure?.Invoke(options);
        var validation = new FederationServerOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(FederationServerOptions.SectionName, typeof(FederationServerOptions), validation.Failures);
        }

        var settings = ServerSettings.Resolve(options);
        AddServices(builder, settings, configure, clock ?? TimeProvider.System);
        return builder;
    }

    /// <summary>Builds the application and maps every endpoint.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        // Who is calling is known before the rate limiter, which counts each identity's changes apart.
        app.UseAuthentication();
        app.UseAuditActor();
        app.UseRateLimiter();
        app.UseConsole();
        app.UseRouting();
        app.UseAuthorization();
        app.MapOpenApi().AllowAnonymous();

        // The dashboard's page and JSON endpoints are Orleans' internals, not this API: kept out of the OpenAPI
        // document, where they would also carry a tag named after the entry assembly (so the document would differ
        // between the server and a test host).
        app.MapOrleansDashboard(routePrefix: DashboardPath).ExcludeFromDescription().RequireAuthorization(AuthSetup.CoordinatorOrLoopbackPolicy);
        app.MapJobsApi();
        app.MapRegionsApi();
        app.MapResidencyApi();
        app.MapMegaregionApi();
        app.MapOperationsApi();
        app.MapServerMetrics();
        app.MapLiveApi();
        app.MapHistoryApi();
        app.MapLedgerApi();
        app.MapProjectsApi();
        app.MapWhatIfApi();
        app.MapTokensApi();
        app.MapAuditApi();
        var settings = app.Services.GetRequiredService<ServerSettings>();
        Log.Starting(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FederationServer).FullName!),
            settings.StorageDescription, settings.MegaregionSource, settings.Megaregion.Regions.Length, settings.TimeScale, settings.Options.Demo);
        return app;
    }

    /// <summary>Maps the server's flags onto configuration keys; <c>--demo</c> may stand alone.</summary>
    public static string[] TranslateArgs(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var result = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var flag = eq > 0 ? arg[..eq] : arg;
            if (flag == "--demo")
            {
                var value = eq > 0 ? arg[(eq + 1)..] : i + 1 < args.Length && bool.TryParse(args[i + 1], out _) ? args[++i] : "true";
                result.Add($"--Federation:Demo={value}");
            }
            else if (Flags.TryGetValue(flag, out var key))
            {
                if (eq > 0)
                {
                    result.Add($"--{key}={arg[(eq + 1)..]}");
                }
                else if (i + 1 < args.Length)
                {
                    result.Add($"--{key}={args[++i]}");
                }
                else
                {
                    throw new ArgumentException($"{flag} needs a value.\n{Usage}", nameof(args));
                }
            }
            else
            {
                result.Add(arg);
            }
        }

        return [.. result];
    }

    private static void AddServices(WebApplicationBuilder builder, ServerSettings settings, Action<FederationServerOptions>? configure, TimeProvider clock)
    {
        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(settings.Megaregion);
        services.AddOptions<FederationServerOptions>().BindConfiguration(FederationServerOptions.SectionName).Configure(o => configure?.Invoke(o)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FederationServerOptions>, FederationServerOptionsValidator>();

        // A store that outlives the process gets a clock that resumes where the last run left it, even at scale 1
        // (the last run may have been scaled); memory storage starts empty, so the wall clock is the right origin. The
        // silos of a cluster share one anchored clock instead.
        TimeProvider executionClock;
        ScaledTimeProvider? resumable = null;
        if (settings.Storage == StorageKind.Memory)
        {
            executionClock = settings.TimeScale == 1 ? clock : new ScaledTimeProvider(clock, settings.TimeScale);
        }
        else
        {
            resumable = new ScaledTimeProvider(clock, settings.TimeScale);
            executionClock = resumable;
        }

        var options = settings.Options;
        builder.UseOrleans(silo =>
        {
            if (options.Clustered)
            {
                UseCluster(silo, settings);
            }
            else
            {
                // One silo with every region: the embedded default. Its endpoints are on loopback only.
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: ServiceId, clusterId: ServiceId);
            }

            switch (settings.Storage)
            {
                case StorageKind.Sqlite:
                    silo.AddFederationSqliteStorage(o => o.ConnectionString = settings.SqliteConnectionString);
                    break;
                case StorageKind.Postgres:
                    silo.AddFederationPostgresStorage(settings.ConfigurePostgres);
                    break;
                default:
                    silo.AddFederationMemoryStorage();
                    break;
            }

            silo.AddFederationGrains(
                o =>
                {
                    o.Megaregion = settings.Megaregion;
                    o.ExecutionClock = executionClock;
                    o.Reclaim = options.Reclaim;
                },
                options.Region);
            if (settings.SlurmRegions is { Count: > 0 } slurmRegions)
            {
                silo.AddSlurmExecutors(slurmRegions);
            }

            silo.AddDashboard();
            if (resumable is not null && options.Clustered)
            {
                silo.Services.AddSingleton(sp => new ClusterClockAnchor(
                    sp.GetRequiredKeyedService<IGrainStorage>(StorageNames.GrainState),
                    resumable,
                    clock,
                    sp.GetRequiredService<ILoggerFactory>().CreateLogger<ClusterClockAnchor>()));
                silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(static sp => sp.GetRequiredService<ClusterClockAnchor>());
            }
            else if (resumable is not null)
            {
                silo.Services.AddSingleton(sp => new ExecutionClockKeeper(
                    sp.GetRequiredKeyedService<IGrainStorage>(StorageNames.GrainState),
                    resumable,
                    clock,
                    sp.GetRequiredService<ILoggerFactory>().CreateLogger<ExecutionClockKeeper>()));
                silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(static sp => sp.GetRequiredService<ExecutionClockKeeper>());
            }
        });

        services.AddSingleton<RequestValidation>();
        services.AddOptions<Grains.Projects.AllocationOptions>().BindConfiguration(Grains.Projects.AllocationOptions.Section);
        services.AddOptions<AdmissionOptions>().BindConfiguration(AdmissionOptions.SectionName);
        services.AddSingleton<StorageProbe>();
        services.AddSingleton<ServerInstruments>();
        services.AddServerMetrics();
        services.AddFederationAuth();
        services.AddChangeRateLimit();
        services.AddLiveFeed();
        services.AddWhatIfRuns();
        if (settings.Options.Demo)
        {
            services.AddHostedService<DemoWorkload>();
        }

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);

            // A field the API does not know is refused, never dropped: a misspelt allowedRegions would drop a residency constraint.
            o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
        });
        services.AddProblemDetails(o => o.CustomizeProblemDetails = static context =>
        {
            // A request refused before any endpoint ran (routing found none, or none taking this method or media type)
            // names what is at fault like every other refusal.
            var problem = context.ProblemDetails;
            if (problem is HttpValidationProblemDetails || problem.Extensions.ContainsKey("errors") || problem.Status is not { } status || status is < 400 or >= 500)
            {
                return;
            }

            var request = context.HttpContext.Request;
            var (field, message) = status switch
            {
                StatusCodes.Status401Unauthorized => ("Authorization", AuthSetup.Refusal(context.HttpContext, status)),
                StatusCodes.Status403Forbidden => ("Authorization", AuthSetup.Refusal(context.HttpContext, status)),
                StatusCodes.Status415UnsupportedMediaType => ("Content-Type", JsonBody.NotJson(request.ContentType)),
                StatusCodes.Status405MethodNotAllowed => ("method", $"{request.Method} is not allowed on {request.Path}"),
                StatusCodes.Status404NotFound => ("path", $"no endpoint answers {request.Method} {request.Path}; the API is described at /openapi/v1.json"),
                _ => ("request", problem.Detail ?? problem.Title ?? "the request is refused"),
            };
            if (status == StatusCodes.Status415UnsupportedMediaType)
            {
                problem.Title = "The body must be JSON.";
            }
            else if (status == StatusCodes.Status401Unauthorized)
            {
                problem.Title = "A valid bearer token is required.";
            }
            else if (status == StatusCodes.Status403Forbidden)
            {
                problem.Title = "The caller's role does not allow this.";
            }

            problem.Detail ??= message;
            problem.Extensions["errors"] = new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] };
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            // The committed copy must not depend on the host and port the document was fetched from.
            document.Servers?.Clear();
            document.Info.Title = "Megaregion Federation API";
            document.Info.Description = "Submit jobs once, anywhere in the megaregion; see where they run and why. Every error is RFC 7807 problem details naming the field.";
            ServerMetrics.DescribeScrapingEndpoint(document);
            AuthSetup.DescribeBearer(document);
            return Task.CompletedTask;
        }));
    }

    /// <summary>
    /// Joins the cluster: PostgreSQL membership (the schema the store uses), the silo's endpoints, and membership
    /// options that declare a dead silo within seconds (<see cref="ClusterMembership"/>).
    /// </summary>
    private static void UseCluster(ISiloBuilder silo, ServerSettings settings)
    {
        var options = settings.Options;
        silo.Configure<ClusterOptions>(o =>
        {
            o.ServiceId = ServiceId;
            o.ClusterId = options.ClusterId;
        });
        silo.AddFederationPostgresClustering(settings.ConfigurePostgres);
        if (options.Kubernetes)
        {
            // The pod's IP and the cluster id come from the pod (see FederationServerOptions.Kubernetes); the ports are ours.
            silo.Configure<EndpointOptions>(o =>
            {
                o.SiloPort = options.SiloPort;
                o.GatewayPort = options.GatewayPort;
            });
            // The silo's name is the pod's (Orleans matches silos to pods by name); pods of silos declared dead are deleted,
            // so their Deployment starts a fresh one.
            silo.UseKubernetesHosting(o => o.Configure(k => k.DeleteDefunctSiloPods = true));
        }
        else
        {
            var address = IPAddress.Parse(options.AdvertiseAddress);
            silo.ConfigureEndpoints(address, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(address));

            // Named by region, so membership and the dashboard say which silo is which.
            silo.Configure<SiloOptions>(o => o.SiloName = $"{options.Region}-{Environment.MachineName}-{Environment.ProcessId}");
        }

        silo.Configure<ClusterMembershipOptions>(ClusterMembership.Apply);
    }
}
