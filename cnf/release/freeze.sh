#!/usr/bin/env bash
# Records bundles as built now as their release VERSION in this folder (a Maven repository layout).
# bnd baselining (the parent pom) compares every later build of a bundle with its newest release here
# and fails when an exported package changed without the matching @Version bump.
#
# Usage: cnf/release/freeze.sh VERSION all|MODULE...
#   cnf/release/freeze.sh 1.1.0 all                 every module that opts in to baselining
#   cnf/release/freeze.sh 1.0.0 bundles/jobs        one module, e.g. a new exporting bundle
# after a build without the check: mvn -B -ntp install -DskipTests -Dbnd.baseline.skip=true
# Options for Maven go in MAVEN_ARGS, e.g. MAVEN_ARGS="-o -Dmaven.repo.local=DIR".
#
# A release is never overwritten: a VERSION already here is kept and reported. A released jar holds only
# what baselining reads: the manifest and the classes of the exported packages (cnf/release/README.md).
set -euo pipefail
version="${1:?usage: freeze.sh VERSION all|MODULE...}"
shift
[ $# -gt 0 ] || { echo "usage: freeze.sh VERSION all|MODULE..." >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
opt_in='<bnd.baseline.skip>false</bnd.baseline.skip>'

modules=()
if [ "$1" = all ]; then
  for pom in "$root"/*/*/pom.xml; do
    if grep -q "$opt_in" "$pom"; then modules+=("$(dirname "${pom#"$root"/}")"); fi
  done
else
  modules=("$@")
fi

# the module's own <artifactId> and <version> (the first ones outside <parent>, which sits on one line)
pom_value() { grep -v '<parent>' "$1" | sed -n "s|^  <$2>\(.*\)</$2>.*|\1|p" | head -1; }
project_version="$(pom_value "$root/pom.xml" version)"

# the package names of a manifest's Export-Package header (attributes, directives and uses:= dropped)
exported_packages() {
  sed -e ':a' -e 'N' -e '$!ba' -e 's/\r//g' -e 's/\n //g' "$1" | sed -n 's/^Export-Package: //p' \
    | sed -e 's/"[^"]*"//g' | tr ',' '\n' | sed -e 's/;.*//' -e 's/^ *//' | grep -v '^$' || true
}

for module in "${modules[@]}"; do
  pom="$root/$module/pom.xml"
  [ -f "$pom" ] || { echo "freeze.sh: no module $module" >&2; exit 2; }
  grep -q "$opt_in" "$pom" || { echo "freeze.sh: $module does not opt in to baselining ($opt_in)" >&2; exit 2; }
  artifact="$(pom_value "$pom" artifactId)"
  if [ -d "$here/dev/osprey/$artifact/$version" ]; then
    echo "$artifact $version is already released: kept"
    continue
  fi
  built="$root/$module/target/$artifact-$project_version.jar"
  [ -f "$built" ] || { echo "freeze.sh: $built is missing; build first (see the usage)" >&2; exit 2; }

  work="$(mktemp -d)"
  (
    cd "$work"
    unzip -q "$built" META-INF/MANIFEST.MF
    packages="$(exported_packages META-INF/MANIFEST.MF)"
    [ -n "$packages" ] || { echo "freeze.sh: $artifact exports nothing: nothing to baseline" >&2; exit 2; }
    for p in $packages; do
      # -W: '*' stays inside the package's folder, so subpackages (exported or not) are not taken along
      unzip -q -W "$built" "${p//.//}/*.class"
    done
    # Osprey's bundles share one version (the project's) and promise compatibility per package, so only
    # package versions are checked: bnd's bundle-version check, made for bundles versioned on their own,
    # would demand a major Osprey release for a major change to any one package; it accepts any version
    # over 0.0.0
    sed -i "s/^Bundle-Version: .*/Bundle-Version: 0.0.0/" META-INF/MANIFEST.MF
    jar cfm "$artifact-$version.jar" META-INF/MANIFEST.MF $(ls -d */ | grep -v META-INF)
    mvn ${MAVEN_ARGS:-} -B -q -Dstyle.color=never org.apache.maven.plugins:maven-deploy-plugin:3.1.4:deploy-file -Durl="file://$here" -DrepositoryId=osprey-release \
      -Dfile="$artifact-$version.jar" -DgroupId=dev.osprey -DartifactId="$artifact" \
      -Dversion="$version" -Dpackaging=jar -DgeneratePom=true
  )
  rm -rf "$work"
  echo "released $artifact $version ($module) into $here"
done
