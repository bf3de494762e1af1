using System.Reflection;
using Federation.Contracts;
using Federation.Grains.Jobs;
using Federation.Grains.Tests.Support;
using Federation.Storage;
using Federation.Storage.Hosting;
using Federation.Storage.Jobs;
using Microsoft.Data.Sqlite;
using Orleans;
using Orleans.Runtime;

namespace Federation.Grains.Tests;

/// <summary>
/// Orleans' ADO.NET provider keys a row by state name and grain key, not by grain type (upstream #8746): two grain types
/// with one key and one state name would share a row. The grains keep their state names distinct.
/// </summary>
public sealed class GrainStateTests
{
    [Fact]
    public void Every_grain_state_has_a_name_of_its_own_and_the_job_state_goes_to_the_job_store()
    {
        var states = new List<(string Grain, string State, string Storage)>();
        foreach (var type in typeof(JobGrain).Assembly.GetTypes())
        {
            if (!type.IsClass || type.IsAbstract || !typeof(Grain).IsAssignableFrom(type))
            {
                continue;
            }

            foreach (var constructor in type.GetConstructors())
            {
                foreach (var parameter in constructor.GetParameters())
                {
                    if (parameter.GetCustomAttribute<PersistentStateAttribute>() is { } state)
                    {
                        states.Add((type.Name, state.StateName, state.StorageName ?? "(default)"));
                    }
                }
            }
        }

        states.Sort();
        Assert.Equal(
            [
                ("JobGrain", JobStoreOptions.DefaultStateName, StorageNames.Jobs),
                ("MegaregionGrain", "megaregion", StorageNames.GrainState),
                ("ProjectDirectoryGrain", "projectDirectory", StorageNames.GrainState),
                ("ProjectGrain", "project", StorageNames.GrainState),
                ("RegionGrain", "region", StorageNames.GrainState),
                ("ResidencyGrain", "residency", StorageNames.GrainState),
                ("TokenRegistryGrain", "tokens", StorageNames.GrainState),
            ],
            states);
        Assert.Equal(states.Count, states.Select(s => s.State).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task A_region_and_a_project_with_the_same_key_keep_separate_rows_in_Orleans_storage_on_SQLite()
    {
        using var file = new TempSqliteFile();
        var serviceId = Guid.NewGuid().ToString("N");
        await using (var first = await FederationTestHost.StartAsync(sqliteFile: file.Path, serviceId: serviceId))
        {
            await first.Region("gwangju").SetOfferAsync(new OfferView { Accelerators = [new OfferedAcceleratorsView { Type = "H100", Count = 3 }] });
            var from = first.Clock.Now;
            await first.Project("gwangju").SetAllocationAsync("short", "any", new AllocationRequest { AcceleratorHours = 7, From = from, Until = from.AddDays(90) });
            await first.Region("gwangju").SetDrainAsync(new DrainRequest { Drain = true, RequeueQueued = false });
            await first.Project("gwangju").SetAllocationAsync("long", "H100", new AllocationRequest { AcceleratorHours = 11, From = from, Until = from.AddDays(365), Region = "gwangju" });
        }

        // Two rows in the file, each keyed by its state name and the key: with one state name they would be one row.
        var rows = new List<string>();
        await using (var connection = new SqliteConnection($"Data Source={file.GrainStatePath};Pooling=False"))
        {
            await connection.OpenAsync();
            var command = connection.CreateCommand();
            command.CommandText = "SELECT graintypestring || ' ' || grainidextensionstring FROM orleansstorage WHERE serviceid = $s ORDER BY 1";
            command.Parameters.AddWithValue("$s", serviceId);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
        }

        Assert.Equal(
            [
                "project " + StringKeyGrainStorage.StoredKey("gwangju"),
                "projectDirectory " + StringKeyGrainStorage.StoredKey("projects"),
                "region " + StringKeyGrainStorage.StoredKey("gwangju"),
            ],
            rows);

        // A new cluster on the file reads each grain's own state back.
        await using var second = await FederationTestHost.StartAsync(sqliteFile: file.Path, serviceId: serviceId);
        var region = await second.Region("gwangju").GetAsync();
        var offered = Assert.Single(region.Offer.Accelerators);
        Assert.Equal(("H100", 3, true), (offered.Type, offered.Count, region.Draining));
        var project = await second.Project("gwangju").GetAsync();
        Assert.Equal(
            [("short", "any", 7.0, (string?)null), ("long", "H100", 11.0, "gwangju")],
            project.Allocations.Select(a => (a.Term, a.Class, a.AcceleratorHours, a.Region)));
        Assert.Equal(2, project.Version);
        Assert.Equal(["gwangju"], (await second.Grains.GetGrain<IProjectDirectoryGrain>(IProjectDirectoryGrain.Key).ListAsync()).ToArray());
    }
}
