using System.Collections.Immutable;
using System.Text.Json;

namespace Federation.Scheduling;

/// <summary>A megaregion file that fails validation; the message names the offending field.</summary>
public sealed class MegaregionFormatException : Exception
{
    public MegaregionFormatException(string message)
        : base(message)
    {
    }

    public MegaregionFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public MegaregionFormatException()
    {
    }
}

/// <summary>
/// Loads and validates a megaregion JSON file (see the embedded <c>default-megaregion.json</c> for the schema).
/// Errors name the field, e.g. <c>regions[2].pools[0].count must be &gt; 0</c>.
/// </summary>
public static class MegaregionLoader
{
    private const string ResourceName = "Federation.Scheduling.default-megaregion.json";

    /// <summary>The default megaregion shipped with the library.</summary>
    public static Megaregion LoadDefault()
    {
        using var s = OpenDefault();
        return Load(s);
    }

    /// <summary>The default megaregion file as a stream (to copy it, or show it).</summary>
    public static Stream OpenDefault() =>
        typeof(MegaregionLoader).Assembly.GetManifestResourceStream(ResourceName)
        ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing");

    public static Megaregion Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var s = File.OpenRead(path);
        return Load(s);
    }

    public static Megaregion Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new MegaregionFormatException($"megaregion file is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            return Parse(doc.RootElement);
        }
    }

    private static Megaregion Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new MegaregionFormatException("the megaregion file must be a JSON object");
        }

        var regionsEl = RequireArray(root, "regions", "regions");
        if (regionsEl.GetArrayLength() == 0)
        {
            throw new MegaregionFormatException("regions must not be empty");
        }

        var regions = ImmutableArray.CreateBuilder<Region>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var ri = 0;
        foreach (var r in regionsEl.EnumerateArray())
        {
            var path = $"regions[{ri}]";
            var id = RequireString(r, "id", path);
            if (!ids.Add(id))
            {
                throw new MegaregionFormatException($"{path}.id '{id}' is a duplicate");
            }

            var name = OptionalString(r, "name", path) ?? id;
            var illustrative = OptionalBool(r, "illustrative", path) ?? true;
            var storage = OptionalNumber(r, "storagePb", path) ?? 0;
            if (storage < 0)
            {
                throw new MegaregionFormatException($"{path}.storagePb must be >= 0");
            }

            var poolsEl = RequireArray(r, "pools", path);
            if (poolsEl.GetArrayLength() == 0)
            {
                throw new MegaregionFormatException($"{path}.pools must not be empty");
            }

            if (poolsEl.GetArrayLength() > HardConstraints.MaxPoolsPerRegion)
            {
                throw new MegaregionFormatException($"{path}.pools must have at most {HardConstraints.MaxPoolsPerRegion} entries");
            }

            var pools = ImmutableArray.CreateBuilder<AcceleratorPool>();
            var types = new HashSet<string>(StringComparer.Ordinal);
            var pi = 0;
            foreach (var p in poolsEl.EnumerateArray())
            {
                var pp = $"{path}.pools[{pi}]";
                var type = RequireString(p, "type", pp);
                if (!types.Add(type))
                {
                    throw new MegaregionFormatException($"{pp}.type '{type}' appears twice in {path} (one pool per type)");
                }

                var count = RequireInt(p, "count", pp);
                if (count <= 0)
                {
                    throw new MegaregionFormatException($"{pp}.count must be > 0");
                }

                var pf = RequireNumber(p, "pfPerUnit", pp);
                if (pf <= 0)
                {
                    throw new MegaregionFormatException($"{pp}.pfPerUnit must be > 0");
                }

                var mem = RequireInt(p, "memoryGb", pp);
                if (mem <= 0)
                {
                    throw new MegaregionFormatException($"{pp}.memoryGb must be > 0");
                }

                pools.Add(new AcceleratorPool(type, count, pf, mem));
                pi++;
            }

            var offer = SpareCapacityOffer.None;
            if (r.TryGetProperty("offer", out var o) && o.ValueKind != JsonValueKind.Null)
            {
                offer = ParseOffer(o, $"{path}.offer", pools);
            }

            regions.Add(new Region(id, name, pools.ToImmutable(), storage, illustrative, offer)
            {
                Notes = OptionalString(r, "notes", path) ?? "",
            });
            ri++;
        }

        var links = ImmutableArray.CreateBuilder<Link>();
        if (root.TryGetProperty("links", out var linksEl))
        {
            if (linksEl.ValueKind != JsonValueKind.Array)
            {
                throw new MegaregionFormatException("links must be an array");
            }

            var li = 0;
            foreach (var l in linksEl.EnumerateArray())
            {
                var lp = $"links[{li}]";
                var a = RequireString(l, "a", lp);
                var b = RequireString(l, "b", lp);
                if (!ids.Contains(a))
                {
                    throw new MegaregionFormatException($"{lp}.a '{a}' is not a region id");
                }

                if (!ids.Contains(b))
                {
                    throw new MegaregionFormatException($"{lp}.b '{b}' is not a region id");
                }

                if (string.Equals(a, b, StringComparison.Ordinal))
                {
                    throw new MegaregionFormatException($"{lp}.b must differ from {lp}.a");
                }

                var lat = RequireNumber(l, "latencyMs", lp);
                if (lat < 0)
                {
                    throw new MegaregionFormatException($"{lp}.latencyMs must be >= 0");
                }

                var bw = RequireNumber(l, "bandwidthGbps", lp);
                if (bw <= 0)
                {
                    throw new MegaregionFormatException($"{lp}.bandwidthGbps must be > 0");
                }

                links.Add(new Link(a, b, lat, bw));
                li++;
            }
        }

        return new Megaregion(regions.ToImmutable(), links.ToImmutable());
    }

    private static SpareCapacityOffer ParseOffer(JsonElement o, string path, ImmutableArray<AcceleratorPool>.Builder pools)
    {
        if (o.ValueKind != JsonValueKind.Object)
        {
            throw new MegaregionFormatException($"{path} must be an object");
        }

        var acc = ImmutableArray.CreateBuilder<OfferedAccelerators>();
        var arr = RequireArray(o, "accelerators", path);
        var i = 0;
        foreach (var a in arr.EnumerateArray())
        {
            var ap = $"{path}.accelerators[{i}]";
            var type = RequireString(a, "type", ap);
            AcceleratorPool? pool = null;
            foreach (var p in pools)
            {
                if (string.Equals(p.Type, type, StringComparison.Ordinal))
                {
                    pool = p;
                }
            }

            if (pool is null)
            {
                throw new MegaregionFormatException($"{ap}.type '{type}' is not a pool type of this region");
            }

            var count = RequireInt(a, "count", ap);
            if (count < 0)
            {
                throw new MegaregionFormatException($"{ap}.count must be >= 0");
            }

            if (count > pool.Count)
            {
                throw new MegaregionFormatException($"{ap}.count must be <= the pool's count ({pool.Count})");
            }

            acc.Add(new OfferedAccelerators(type, count));
            i++;
        }

        var start = OptionalNumber(o, "windowStartS", path) ?? 0;
        var end = OptionalNumber(o, "windowEndS", path) ?? double.PositiveInfinity;
        if (end <= start)
        {
            throw new MegaregionFormatException($"{path}.windowEndS must be > {path}.windowStartS");
        }

        var preemptible = OptionalBool(o, "preemptible", path) ?? false;
        var grace = OptionalNumber(o, "reclaimGraceS", path) ?? SpareCapacityOffer.DefaultReclaimGraceS;
        if (!double.IsFinite(grace) || grace < 0)
        {
            throw new MegaregionFormatException($"{path}.reclaimGraceS must be a finite number >= 0");
        }

        return new SpareCapacityOffer(acc.ToImmutable(), start, end, preemptible) { ReclaimGraceS = grace };
    }

    private static JsonElement RequireArray(JsonElement obj, string name, string path)
    {
        var full = path == name ? name : $"{path}.{name}";
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var v))
        {
            throw new MegaregionFormatException($"{full} is required");
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw new MegaregionFormatException($"{full} must be an array");
        }

        return v;
    }

    private static string RequireString(JsonElement obj, string name, string path)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            throw new MegaregionFormatException($"{path}.{name} is required");
        }

        if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
        {
            throw new MegaregionFormatException($"{path}.{name} must be a non-empty string");
        }

        return v.GetString()!;
    }

    private static string? OptionalString(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new MegaregionFormatException($"{path}.{name} must be a string");
    }

    private static bool? OptionalBool(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new MegaregionFormatException($"{path}.{name} must be true or false"),
        };
    }

    private static double RequireNumber(JsonElement obj, string name, string path) =>
        OptionalNumber(obj, name, path) ?? throw new MegaregionFormatException($"{path}.{name} is required");

    private static double? OptionalNumber(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
        {
            throw new MegaregionFormatException($"{path}.{name} must be a number");
        }

        return d;
    }

    private static int RequireInt(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            throw new MegaregionFormatException($"{path}.{name} is required");
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
        {
            throw new MegaregionFormatException($"{path}.{name} must be an integer");
        }

        return i;
    }
}
