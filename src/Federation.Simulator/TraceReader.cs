using System.Globalization;

namespace Federation.Simulator;

/// <summary>A trace row that cannot be read; the message names the line and the column.</summary>
public sealed class TraceFormatException : Exception
{
    public TraceFormatException(string message)
        : base(message)
    {
    }

    public TraceFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public TraceFormatException()
    {
    }
}

/// <summary>
/// Reads the normalized trace CSV: header <c>job_id, submit_time_s, gpus, duration_s, gpu_type, tenant,
/// original_queue_s, status</c> in any order, plus the optional <c>home_region</c> and <c>dataset_gb</c>.
/// Fields contain no commas or quotes in this schema; a quoted field is rejected with its line and column.
/// </summary>
public static class TraceReader
{
    public static List<TraceJob> Read(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    public static List<TraceJob> Read(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine() ?? throw new TraceFormatException($"{source}: the trace is empty (no header line)");
        var names = header.Split(',');
        int id = -1, submit = -1, gpus = -1, dur = -1, type = -1, tenant = -1, home = -1, dataset = -1;
        for (var i = 0; i < names.Length; i++)
        {
            switch (names[i].Trim())
            {
                case "job_id": id = i; break;
                case "submit_time_s": submit = i; break;
                case "gpus": gpus = i; break;
                case "duration_s": dur = i; break;
                case "gpu_type": type = i; break;
                case "tenant": tenant = i; break;
                case "home_region": home = i; break;
                case "dataset_gb": dataset = i; break;
                default: break;
            }
        }

        foreach (var (col, name) in new[] { (id, "job_id"), (submit, "submit_time_s"), (gpus, "gpus"), (dur, "duration_s") })
        {
            if (col < 0)
            {
                throw new TraceFormatException($"{source} line 1: required column '{name}' is missing from the header");
            }
        }

        var jobs = new List<TraceJob>();
        var fields = new string[names.Length];
        var lineNo = 1;
        var lastSubmit = double.NegativeInfinity;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            if (line.Length == 0)
            {
                continue;
            }

            var n = Split(line, fields);
            if (n != names.Length)
            {
                throw new TraceFormatException($"{source} line {lineNo}: expected {names.Length} columns, found {n}");
            }

            for (var i = 0; i < n; i++)
            {
                if (fields[i].Contains('"', StringComparison.Ordinal))
                {
                    throw new TraceFormatException($"{source} line {lineNo}, column '{names[i].Trim()}': quoted fields are not supported");
                }
            }

            var jobId = fields[id].Trim();
            if (jobId.Length == 0)
            {
                throw new TraceFormatException($"{source} line {lineNo}, column 'job_id': must not be empty");
            }

            var s = Number(fields[submit], lineNo, "submit_time_s", source);
            if (s < 0)
            {
                throw new TraceFormatException($"{source} line {lineNo}, column 'submit_time_s': must be >= 0, was {fields[submit]}");
            }

            if (s < lastSubmit)
            {
                throw new TraceFormatException($"{source} line {lineNo}, column 'submit_time_s': rows must be sorted by submission time ({s} after {lastSubmit})");
            }

            lastSubmit = s;
            if (!int.TryParse(fields[gpus], NumberStyles.Integer, CultureInfo.InvariantCulture, out var g) || g <= 0)
            {
                throw new TraceFormatException($"{source} line {lineNo}, column 'gpus': must be a positive integer, was '{fields[gpus]}'");
            }

            var d = Number(fields[dur], lineNo, "duration_s", source);
            if (d < 0)
            {
                throw new TraceFormatException($"{source} line {lineNo}, column 'duration_s': must be >= 0, was {fields[dur]}");
            }

            var ds = double.NaN;
            if (dataset >= 0 && fields[dataset].Trim().Length > 0)
            {
                ds = Number(fields[dataset], lineNo, "dataset_gb", source);
                if (ds < 0)
                {
                    throw new TraceFormatException($"{source} line {lineNo}, column 'dataset_gb': must be >= 0, was {fields[dataset]}");
                }
            }

            jobs.Add(new TraceJob(
                jobId,
                s,
                g,
                d,
                type >= 0 ? fields[type].Trim() : "",
                tenant >= 0 ? fields[tenant].Trim() : "",
                home >= 0 ? fields[home].Trim() : "",
                ds));
        }

        return jobs;
    }

    private static double Number(string text, int line, string column, string source)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
        {
            throw new TraceFormatException($"{source} line {line}, column '{column}': '{text}' is not a number");
        }

        return v;
    }

    private static int Split(string line, string[] fields)
    {
        var n = 0;
        var start = 0;
        for (var i = 0; i <= line.Length; i++)
        {
            if (i == line.Length || line[i] == ',')
            {
                if (n < fields.Length)
                {
                    fields[n] = line[start..i];
                }

                n++;
                start = i + 1;
            }
        }

        return n;
    }
}
