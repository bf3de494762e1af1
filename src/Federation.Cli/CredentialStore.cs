using System.Text.Json;

namespace Federation.Cli;

/// <summary>
/// The tokens <c>fedctl login</c> stored, one per server, in <c>credentials.json</c>: in <c>$FEDCTL_CONFIG_DIR</c> when
/// set, else <c>$XDG_CONFIG_HOME/fedctl</c>, else <c>~/.config/fedctl</c>. The file holds secrets, so it is only ever
/// created readable and writable by its owner alone (0600, in a 0700 directory), and a token is used only for the server it
/// was stored for: a token for one megaregion is never sent to another.
/// </summary>
internal sealed class CredentialStore
{
    /// <summary>The environment variable naming the directory of the credentials file (tests, several identities).</summary>
    public const string ConfigDirectoryVariable = "FEDCTL_CONFIG_DIR";

    public const string FileName = "credentials.json";

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnlyFile | UnixFileMode.UserExecute;

    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public CredentialStore(string path)
    {
        Path = path;
    }

    /// <summary>The credentials file.</summary>
    public string Path { get; }

    /// <summary>The store <paramref name="environment"/> names.</summary>
    public static CredentialStore For(FedctlEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.Variable(ConfigDirectoryVariable) is { } directory)
        {
            return new(System.IO.Path.Combine(directory, FileName));
        }

        // The XDG base directory spec: a relative XDG_CONFIG_HOME is invalid and ignored.
        var config = environment.Variable("XDG_CONFIG_HOME") is { } xdg && System.IO.Path.IsPathRooted(xdg)
            ? xdg
            : System.IO.Path.Combine(environment.Variable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return new(System.IO.Path.Combine(config, "fedctl", FileName));
    }

    /// <summary>A server URL as the file keys it: scheme and host in lower case, no default port, no trailing slash.</summary>
    public static string Normalize(string server) => new Uri(server, UriKind.Absolute).GetLeftPart(UriPartial.Path).TrimEnd('/');

    /// <summary>The token stored for <paramref name="server"/>, or null.</summary>
    public string? TokenFor(string server)
    {
        var key = Normalize(server);
        return Read().Servers.Find(e => e.Server == key)?.Token;
    }

    /// <summary>Stores <paramref name="token"/> for <paramref name="server"/>, replacing the one it had.</summary>
    public void Store(string server, string token)
    {
        var key = Normalize(server);
        var contents = Read();
        contents.Servers.RemoveAll(e => e.Server == key);
        contents.Servers.Add(new Entry(key, token));
        Write(contents);
    }

    /// <summary>Forgets the token of <paramref name="server"/> (the file goes with the last one); false when there was none.</summary>
    public bool Remove(string server)
    {
        var key = Normalize(server);
        var contents = Read();
        if (contents.Servers.RemoveAll(e => e.Server == key) == 0)
        {
            return false;
        }

        if (contents.Servers.Count == 0)
        {
            File.Delete(Path);
        }
        else
        {
            Write(contents);
        }

        return true;
    }

    private Contents Read()
    {
        string text;
        try
        {
            text = File.ReadAllText(Path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new Contents();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Fedctl.UsageException($"cannot read the credentials file {Path}: {e.Message}");
        }

        try
        {
            var contents = JsonSerializer.Deserialize<Contents>(text, FileJson) ?? new Contents();
            if (contents.Servers.Exists(e => string.IsNullOrEmpty(e.Server) || string.IsNullOrEmpty(e.Token)))
            {
                throw new JsonException("every entry needs a server and a token");
            }

            contents.Servers.ForEach(static e => e.Server = Normalize(e.Server));
            return contents;
        }
        catch (Exception e) when (e is JsonException or UriFormatException)
        {
            throw new Fedctl.UsageException($"the credentials file {Path} is not fedctl's ({e.Message}); delete it and run fedctl login again");
        }
    }

    /// <summary>Writes a new file beside the old one and moves it over, so the file is never half written nor, for a moment, readable by others.</summary>
    private void Write(Contents contents)
    {
        var temporary = Path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            var directory = System.IO.Path.GetDirectoryName(Path)!;
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (OperatingSystem.IsWindows())
            {
                // The profile directory is the user's alone already; Windows has no Unix modes.
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, OwnerOnlyDirectory);
                options.UnixCreateMode = OwnerOnlyFile;
            }

            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, contents, FileJson);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }

            throw new Fedctl.UsageException($"cannot write the credentials file {Path}: {e.Message}");
        }
    }

    private sealed class Contents
    {
        public List<Entry> Servers { get; init; } = [];
    }

    private sealed class Entry(string server, string token)
    {
        public string Server { get; set; } = server;

        public string Token { get; init; } = token;
    }
}
